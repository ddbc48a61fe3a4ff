from django.urls import path

from dashboard import signin, views

app_name = "dashboard"

C = "c/<slug:cluster>/"
OBJ = "<slug:namespace>/<str:name>/"

urlpatterns = [
    path("", views.home, name="home"),
    path("signin/<str:token>/", signin.signin, name="signin"),
    path("signout/", views.signout, name="signout"),
    # pages (each also streams its live regions at /ws/<same path>)
    path(C, views.cluster_page, name="cluster"),
    path(C + "presenter/", views.presenter, name="presenter"),
    path(C + "workloads/", views.workloads, name="workloads"),
    path(C + "events/", views.events, name="events"),
    path(C + "scenarios/", views.scenarios_page, name="scenarios"),
    path(C + "ds/" + OBJ, views.daemonset, name="daemonset"),
    path(C + "jobs/" + OBJ, views.job, name="job"),
    path(C + "cronjobs/" + OBJ, views.cronjob, name="cronjob"),
    # dialogs and answers
    path(C + "pods/" + OBJ, views.pod, name="pod"),
    path(C + "nodes/<str:name>/", views.node, name="node"),
    path(C + "why/", views.why, name="why"),
    path(C + "yaml/<str:kind>/" + OBJ, views.object_yaml, name="yaml"),
    # actions (POST, signed in with permission, CSRF)
    path(C + "apply/", views.apply, name="apply"),
    path(C + "add-node/", views.add_node, name="add_node"),
    path(C + "nodes/<str:name>/<slug:op>/", views.node_action, name="node_action"),
    path(C + "pods/" + OBJ + "<slug:op>/", views.pod_action, name="pod_action"),
    path(C + "ds/" + OBJ + "<slug:op>/", views.ds_action, name="ds_action"),
    path(C + "jobs/" + OBJ + "<slug:op>/", views.job_action, name="job_action"),
    path(C + "cronjobs/" + OBJ + "<slug:op>/", views.cronjob_action, name="cronjob_action"),
    path(C + "clock/<slug:op>/", views.clock, name="clock"),
    path(C + "scenarios/reset/", views.scenario_reset, name="scenario_reset"),
    path(C + "scenarios/<slug:direction>/", views.scenario_step, name="scenario_step"),
]

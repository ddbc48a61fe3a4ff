"""The Job and CronJob controllers: observe, plan (`job_plan`, `cronjob_plan`: pure), act.

A Job pass (`syncJob`): claim the Job's pods, plan, then in this order strip the tracking
finalizer from the pods just counted, delete, create (slow-start batches), write the status if
it changed, keep the back-off record and the attempts history (every pod the Job ever ran, for
the dashboard's retry timeline: a `JobAttempt` row each), and record events and decisions. A CronJob pass creates the
Job that is due, deletes what the concurrency policy or the history limits say, and asks to be
woken at the next schedule time.
"""
from __future__ import annotations

from cluster import reading, store
from cluster.models import CronJob, Job, Pod
from cluster.selectors import matches, selector_requirements
from controllers import cronjob_plan, job_plan
from controllers.engine import Result, Step, per_key, register
from controllers.models import ControllerMemory, JobAttempt

JOB_COMPONENT = "job-controller"
CRONJOB_COMPONENT = "cronjob-controller"
TRACKING_FINALIZER = job_plan.JOB_TRACKING_FINALIZER


def _without_finalizer(pod: Pod | reading.Stored) -> tuple[Pod | reading.Stored, dict]:
    view = pod.view()
    meta = {**view["metadata"]}  # the rest stays shared with the view: nothing else changes
    meta["finalizers"] = [f for f in meta.get("finalizers", []) if f != TRACKING_FINALIZER]
    if not meta["finalizers"]:
        del meta["finalizers"]
    return pod, {**view, "metadata": meta}


def _release_orphaned_pods(step: Step, namespace: str, name: str, keep_uid: str = "") -> None:
    """Pods of a Job that is gone (or going, or was replaced by a new Job of the same name) must
    not be held by the tracking finalizer."""
    rows = Pod.objects.filter(cluster=step.cluster, namespace=namespace, owner_kind="Job", owner_name=name)
    pods = [p for p in rows.exclude(owner_uid=keep_uid) if TRACKING_FINALIZER in (p.metadata.get("finalizers") or [])]
    if pods:
        store.update_many(step.cluster, [_without_finalizer(p) for p in pods])


def _forget_deleted_jobs(step: Step) -> None:
    """What the controller kept about Jobs that are gone (back-off records, attempts) goes too,
    as a Job's entries leave kube-controller-manager's memory when the Job is deleted."""
    alive = Job.objects.filter(cluster=step.cluster).values("uid")
    JobAttempt.objects.filter(cluster=step.cluster).exclude(job_uid__in=alive).delete()
    ControllerMemory.objects.filter(cluster=step.cluster, controller="job").exclude(owner_uid__in=alive).delete()


def claim_job_pods(step: Step, job: dict) -> list[reading.Stored]:
    """The Job's pods (adopting matching orphans), as handles on read-only views."""
    meta = job["metadata"]
    reqs = selector_requirements((job.get("spec") or {}).get("selector"))
    owned, adopt = [], []
    for owner_uid, pod in reading.stored(
        Pod.objects.filter(cluster=step.cluster, namespace=meta["namespace"], owner_uid__in=[meta["uid"], ""]),
        "owner_uid",
    ):
        pod_meta = pod.view()["metadata"]
        if owner_uid == meta["uid"]:
            owned.append(pod)
        elif reqs and matches(reqs, pod_meta.get("labels")) and not pod_meta.get("deletionTimestamp"):
            adopt.append(pod)
    if adopt:
        pairs = []
        for pod in adopt:
            obj = pod.to_dict()
            obj["metadata"].setdefault("ownerReferences", []).append(
                {"apiVersion": "batch/v1", "kind": "Job", "name": meta["name"], "uid": meta["uid"],
                 "controller": True, "blockOwnerDeletion": True})
            pairs.append((pod, obj))
        store.update_many(step.cluster, pairs)  # keeps the handles current
        owned += adopt
    return owned


def _verb(plan: job_plan.JobPlan) -> str:
    if plan.create:
        return "create"
    if plan.delete:
        return "delete"
    if plan.finished:
        return "finish"
    return "wait" if plan.requeue_after else "observe"


def reconcile_job(step: Step, key: str) -> Result:
    namespace, _, name = key.partition("/")
    row = Job.objects.filter(cluster=step.cluster, namespace=namespace, name=name).first()
    if row is None or row.deletion_timestamp:
        _release_orphaned_pods(step, namespace, name)
        if row is None:
            _forget_deleted_jobs(step)
        return Result.done()
    _release_orphaned_pods(step, namespace, name, keep_uid=row.uid)
    job = row.to_dict()
    pods = claim_job_pods(step, job)
    pod_dicts = [p.view() for p in pods]
    memory, _ = ControllerMemory.objects.get_or_create(
        cluster=step.cluster, owner_uid=row.uid, controller="job", defaults={"data": {}})
    plan = job_plan.plan_job(job, pod_dicts, now=step.now, backoff_record=memory.data.get("backoff"))
    by_name = {p.name: p for p in pods}
    if plan.remove_finalizers:
        # Removing a finalizer leaves a valid pod valid: no second validation.
        store.update_many(step.cluster, [_without_finalizer(by_name[n]) for n in plan.remove_finalizers if n in by_name],
                          trusted=True)
    deleted = [d.name for d in plan.delete if d.name in by_name]
    if deleted:
        store.delete_many(step.cluster, [by_name[n] for n in deleted])  # rows kept current by the store
    created: list[str] = []
    start = 0
    for size in plan.slow_start_batches:
        batch = [c.pod for c in plan.create[start:start + size]]
        start += size
        created += [o["metadata"]["name"] for o in store.create_many(step.cluster, batch, one_template=True)]
    fresh = Job.objects.get(pk=row.pk)
    status_changed = plan.status != fresh.status
    if status_changed:
        store.update_status(fresh, plan.status)
    events = [(job, *e) for e in plan.events]
    events += [(job, "Normal", "SuccessfulCreate", f"Created pod: {n}") for n in created]
    events += [(job, "Normal", "SuccessfulDelete", f"Deleted pod: {n}") for n in deleted]
    store.record_events(step.cluster, events, component=JOB_COMPONENT)
    if created or deleted or status_changed or plan.events:
        verb = _verb(plan)
        for text in plan.decisions:
            step.decide(JOB_COMPONENT, verb, text, kind="Job", namespace=namespace, name=name)
        if created:
            step.decide(JOB_COMPONENT, "create", f"created {', '.join(created)}", kind="Job", namespace=namespace, name=name)
    data = {"backoff": plan.backoff_record}
    if data != memory.data:
        memory.data = data
        memory.save(update_fields=["data"])
    record_attempts(step, job, pods)  # pods created in this pass join on the next (their ADDED wakes us)
    return Result.after(plan.requeue_after)


def record_attempts(step: Step, job: dict, pods: list[reading.Stored]) -> None:
    """Keep the Job's attempts history, a `JobAttempt` row per pod it ran, equal to what
    `job_plan.job_attempts` makes of the previous history and the pods, writing only the rows
    of pods that are new, changed (another resourceVersion) or gone."""
    uid = job["metadata"]["uid"]
    rows = JobAttempt.objects.filter(cluster=step.cluster, job_uid=uid)
    known = {pod: (pk, version, gone) for pod, pk, version, gone
             in rows.values_list("pod", "pk", "pod_resource_version", "gone")}
    present: set[str] = set()
    new, changed = [], {}
    for handle in pods:
        view = handle.view()
        name = view["metadata"]["name"]
        present.add(name)
        found = known.get(name)
        if found is None:
            new.append((handle, job_plan.attempt_of(view, shared=True)))
        elif found[1] != handle.resource_version or found[2]:
            changed[name] = (handle, job_plan.attempt_of(view, shared=True))
    vanished = {name for name, (_, _, gone) in known.items() if not gone and name not in present}
    if not (new or changed or vanished):
        return
    new.sort(key=lambda pair: job_plan.attempt_order(pair[0].view()))
    rewritten = [*changed, *vanished]
    doomed = [known[name][0] for name in rewritten]
    # The history before this pass, in its order (the whole of it when new attempts need their
    # back-off worked out; else the entries rewritten).
    wanted = rows if new or len(doomed) > reading.CHUNK else JobAttempt.objects.filter(pk__in=doomed)
    history: dict[str, dict] = {}
    # ordered here, not by the database: a collation other than code points (PostgreSQL's
    # locales) would order "x-1-..." and "x-10-..." otherwise than `job_attempts` does
    for _, name, text in sorted(reading.fetch(wanted.values_list("created", "pod", "data"))):
        entry = reading.decode(text)  # shared: replaced below, never changed
        if name in vanished:
            entry = {**entry, "gone": True}
        elif name in changed:
            entry = {**entry, **changed[name][1]}
        history[name] = entry
    entries = [fresh for _, fresh in new]
    job_plan.set_backoffs(job, [*history.values(), *entries], entries)
    # A changed entry's row is deleted and inserted again: one INSERT for all rows, no upsert.
    for start in range(0, len(doomed), reading.CHUNK):
        JobAttempt.objects.filter(pk__in=doomed[start:start + reading.CHUNK]).delete()
    write = [{"cluster_id": step.cluster.pk, "job_uid": uid, "pod": name, "created": history[name].get("created") or "",
              "pod_resource_version": changed[name][0].resource_version if name in changed else known[name][1],
              "gone": name in vanished, "data": history[name]} for name in rewritten]
    write += [{"cluster_id": step.cluster.pk, "job_uid": uid, "pod": entry["pod"], "created": entry.get("created") or "",
               "pod_resource_version": handle.resource_version, "gone": False, "data": entry} for handle, entry in new]
    store.insert_rows(JobAttempt, write)


def reconcile_cronjob(step: Step, key: str) -> Result:
    namespace, _, name = key.partition("/")
    row = CronJob.objects.filter(cluster=step.cluster, namespace=namespace, name=name).first()
    if row is None or row.deletion_timestamp:
        return Result.done()
    cj = row.to_dict()
    jobs = {j.name: j for j in Job.objects.filter(cluster=step.cluster, owner_uid=row.uid)}
    plan = cronjob_plan.plan_cronjob(cj, [j.to_dict() for j in jobs.values()], now=step.now)
    created = [store.create(step.cluster, manifest) for manifest in plan.create]
    doomed = [jobs[n] for n in plan.delete if n in jobs]
    if doomed:
        store.delete_many(step.cluster, doomed, propagation_policy="Background")
    status = plan.status
    for job in created:  # the new Job's uid is known only now
        for ref in status.get("active") or []:
            if ref.get("name") == job["metadata"]["name"] and not ref.get("uid"):
                ref.update(uid=job["metadata"]["uid"], resourceVersion=job["metadata"]["resourceVersion"])
    fresh = CronJob.objects.get(pk=row.pk)
    if status != fresh.status:
        store.update_status(fresh, status)
    store.record_events(step.cluster, [(cj, *e) for e in plan.events], component=CRONJOB_COMPONENT)
    if created or doomed:
        for text in plan.decisions:
            step.decide(CRONJOB_COMPONENT, _cronjob_verb(text), text, kind="CronJob", namespace=namespace, name=name)
    return Result.after(plan.requeue_after)


def _cronjob_verb(text: str) -> str:
    """What a CronJob decision did: created a Job, deleted some, or only noted something (the
    next run, a Job that finished) while the pass created or deleted."""
    if text.startswith("creating job"):
        return "create"
    if "deleting" in text:
        return "delete"
    return "note"


register("job", per_key(reconcile_job))
register("cronjob", per_key(reconcile_cronjob))

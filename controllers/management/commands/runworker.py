"""`python manage.py runworker kubesim-controllers`: a controller worker process (scale-out).

Overrides Channels' runworker for our channel: besides consuming `kubesim-controllers`
messages (wake-ups), it runs the driver, which takes the per-cluster leases and reconciles the
clusters it holds. Run several: each cluster is reconciled by exactly one of them at a time,
and a killed worker's clusters are taken over when its lease expires.
"""
import asyncio
import signal

from channels.layers import get_channel_layer
from channels.management.commands.runworker import Command as ChannelsRunworker
from channels.routing import ChannelNameRouter
from channels.worker import Worker
from django.core.management.base import CommandError

from controllers.worker import CHANNEL, WAKE, ControllerWorker, Driver


class Command(ChannelsRunworker):
    help = "Run controller workers: consume the kubesim-controllers channel and reconcile leased clusters."

    def handle(self, *args, **options):
        channels = options.get("channels") or [CHANNEL]
        if channels != [CHANNEL]:
            return super().handle(*args, **options)
        layer = get_channel_layer()
        if layer is None:
            raise CommandError("no channel layer configured")
        driver = Driver()
        self.stdout.write(f"kubesim worker {driver.holder}: reconciling leased clusters")
        self.stdout.flush()
        asyncio.run(self._run(driver, layer))

    async def _run(self, driver: Driver, layer) -> None:
        worker = Worker(application=ChannelNameRouter({CHANNEL: ControllerWorker.as_asgi()}),
                        channels=[CHANNEL], channel_layer=layer)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        tasks = [asyncio.ensure_future(worker.arun()), asyncio.ensure_future(driver.run(WAKE))]
        await stop.wait()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

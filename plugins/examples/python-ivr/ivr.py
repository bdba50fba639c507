#!/usr/bin/python3
"""proffer-ivr.py: the example IVR as a call-logic process in Python (protocol v1).

profferd spawns it with PROFFER_ENDPOINT, PROFFER_TOKEN, PROFFER_WORKER and PROFFER_CAPACITY set
(docs/protocol/call-logic.md). Each offered channel runs `ivr()` as its own asyncio task, so one
process serves many calls at once. Needs only the standard library and pyzmq (python3-zmq).

The script mirrors plugins/examples/common/ivr_script.cpp: answer; set ivr.program; gather one
digit behind a welcome prompt; set ivr.branch and ivr.digits; say goodbye; hang up (cause 16).
"""
import asyncio
import json
import os
import signal
import sys

import zmq
import zmq.asyncio

PROTOCOL = 1
WELCOME_TIMEOUT_S = 10.0
SILENT_BEATS = 5  # heartbeats without a word from the engine before it is taken for gone
POLL_MS = 200
PROMPT_TEXT = "Welcome to Proffer. For sales press 1. For support press 2."
BRANCHES = {
    "1": ("sales", "Connecting you to sales. Goodbye."),
    "2": ("support", "Support is open around the clock. Goodbye."),
}
NO_CHOICE = ("none", "Sorry, we did not get your choice. Goodbye.")


def log(level, text):
    worker = os.environ.get("PROFFER_WORKER", "?")
    sys.stderr.write(f"proffer-ivr.py[{worker}] {level}: {text}\n")
    sys.stderr.flush()


async def ivr(call):
    """The call script. Any await raises Hangup once the caller has gone."""
    await call.answer()
    await call.set({"ivr.program": "python"})
    welcome = os.environ.get("PROFFER_IVR_WELCOME", "")
    prompt = {"file": welcome} if welcome else {"text": PROMPT_TEXT}
    done = await call.command(
        "gather",
        {"max_digits": 1, "timeout_ms": 5000, "terminator": "#", "prompt": prompt},
        done="gather.done",
    )
    digits = done.get("digits", "")
    branch, goodbye = BRANCHES.get(digits, NO_CHOICE)
    await call.set({"ivr.branch": branch, "ivr.digits": digits})
    await call.say(goodbye)  # returns on play.done: the goodbye is heard before the hangup
    await call.hangup(16)


class Hangup(Exception):
    """The channel hung up while the script waited on it."""


class CommandError(Exception):
    """The engine refused a command."""

    def __init__(self, cmd, code, message):
        super().__init__(f"{cmd}: {code}: {message}")
        self.code = code


class Pending:
    """A command in flight. Futures resolve to None when the channel hangs up meanwhile."""

    def __init__(self, channel, done_event):
        loop = asyncio.get_running_loop()
        self.channel = channel
        self.done_event = done_event
        self.reply = loop.create_future()
        self.done = loop.create_future() if done_event else None

    def hang_up(self):
        for future in (self.reply, self.done):
            if future is not None and not future.done():
                future.set_result(None)


class Call:
    """One offered channel, from channel.offer to its hangup event."""

    def __init__(self, link, channel, data):
        self.link = link
        self.id = channel
        self.trigger = data.get("trigger") or {}
        self.channel = data.get("channel") or {}
        self.variables = data.get("variables") or {}
        # An originated channel may be offered already up: no `answered` event will come.
        self.answered = self.channel.get("state") == "up"
        self.gone = False
        self.remote_hangup = False  # a *.done said "hangup"; the hangup event is still to come
        self.cause = 0
        self.waits = []  # (event name, future)
        self.hung_up = asyncio.Event()

    async def command(self, cmd, args=None, done=None):
        if self.gone or self.remote_hangup:
            raise Hangup()
        return await self.link.command(self, cmd, args, done)

    async def wait_event(self, name):
        if self.gone or self.remote_hangup:
            raise Hangup()
        future = asyncio.get_running_loop().create_future()
        self.waits.append((name, future))
        try:
            data = await future
        finally:
            self.waits.remove((name, future))
        if data is None:
            raise Hangup()
        return data

    async def answer(self):
        await self.command("answer")
        if not self.answered:
            await self.wait_event("answered")

    async def set(self, variables):
        await self.command("set", {"variables": variables})

    async def say(self, text, voice=None):
        args = {"text": text}
        if voice:
            args["voice"] = voice
        done = await self.command("say", args, done="play.done")
        return done.get("reason", "")

    async def hangup(self, cause=16):
        """Hangs up and waits for the hangup event. Never raises."""
        if not self.gone and not self.remote_hangup:
            try:
                await self.link.command(self, "hangup", {"cause": cause}, None)
            except Hangup:
                pass
            except CommandError as error:  # e.g. unknown_channel: no hangup event will come
                log("warning", f"{self.id}: {error}")
                self.end(cause)
        await self.hung_up.wait()
        return self.cause

    def on_event(self, name, data):
        if name == "hangup":
            self.end(data.get("cause", 0))
            return
        if name == "answered":
            self.answered = True
        for wanted, future in self.waits:
            if wanted == name and not future.done():
                future.set_result(data)

    def end(self, cause):
        self.gone = True
        self.cause = cause if isinstance(cause, int) else 0
        self.link.hang_up_pending(self.id)
        for _, future in self.waits:
            if not future.done():
                future.set_result(None)
        self.hung_up.set()


class Link:
    """The DEALER socket to the engine and everything in flight on it."""

    def __init__(self, sock):
        self.sock = sock
        self.next_id = 1
        self.pending = {}
        self.calls = {}
        self.tasks = set()
        self.draining = False
        self.grace_ms = 0

    async def send(self, message):
        await self.sock.send(json.dumps(message, separators=(",", ":")).encode())

    async def command(self, call, cmd, args, done):
        cid = self.next_id
        self.next_id += 1
        pending = Pending(call.id, done)
        self.pending[cid] = pending
        message = {"type": "cmd", "id": cid, "channel": call.id, "cmd": cmd}
        if args:
            message["args"] = args
        try:
            await self.send(message)
            reply = await pending.reply
            if reply is None:
                raise Hangup()
            if not reply.get("ok"):
                error = reply.get("error") or {}
                raise CommandError(cmd, error.get("code", ""), error.get("message", ""))
            if done is None:
                return reply.get("result") or {}
            data = await pending.done
            if data is None:
                raise Hangup()
            if data.get("reason") == "hangup":
                call.remote_hangup = True
                raise Hangup()
            return data
        finally:
            del self.pending[cid]

    def hang_up_pending(self, channel):
        for pending in self.pending.values():
            if pending.channel == channel:
                pending.hang_up()

    async def run_call(self, call):
        cause = 16
        try:
            await ivr(call)
        except Hangup:
            pass
        except Exception as error:  # a script bug must not take the other calls down
            log("error", f"{call.id}: call script failed: {error!r}")
            cause = 41
        await call.hangup(cause)

    async def dispatch(self, body):
        try:
            message = json.loads(body)
        except ValueError:
            log("warning", f"ignoring a body that is not JSON: {body[:200]!r}")
            return
        if not isinstance(message, dict):
            log("warning", f"ignoring a body that is not a JSON object: {body[:200]!r}")
            return
        kind = message.get("type")
        if kind == "event":
            self.on_event(message)
        elif kind == "reply":
            self.on_reply(message)
        elif kind == "ping":
            await self.send({"type": "pong", "seq": message.get("seq")})
        elif kind == "shutdown":
            self.draining = True
            self.grace_ms = message.get("grace_ms") or 0
            log("info", f"engine is shutting down; finishing {len(self.calls)} call(s)")
        elif kind == "error":
            self.on_error(message)
        elif kind != "welcome":
            log("warning", f"ignoring a message of unknown type: {message!r}")

    def on_event(self, message):
        name, channel = message.get("event"), message.get("channel")
        data = message.get("data", {})
        if not isinstance(name, str) or not isinstance(channel, str) or not isinstance(data, dict):
            log("warning", f"ignoring a malformed event: {message!r}")
            return
        if name == "channel.offer":
            if channel in self.calls:
                log("warning", f"ignoring a second offer of {channel}")
                return
            call = Call(self, channel, data)
            self.calls[channel] = call
            task = asyncio.get_running_loop().create_task(self.run_call(call))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
            return
        call = self.calls.get(channel)
        if call is None:
            return  # e.g. a dialled leg, or a channel already finished
        if name.endswith(".done"):
            pending = self.pending.get(data.get("ref"))
            if pending and pending.channel == channel and pending.done_event == name:
                if not pending.done.done():
                    pending.done.set_result(data)
        if name == "hangup":
            del self.calls[channel]
        call.on_event(name, data)

    def on_reply(self, message):
        if not isinstance(message.get("ok"), bool):
            log("warning", f"ignoring a malformed reply: {message!r}")
            return
        pending = self.pending.get(message.get("id"))
        if pending is None:
            return  # e.g. the reply to a command whose channel hung up meanwhile
        if not pending.reply.done():
            pending.reply.set_result(message)

    def on_error(self, message):
        pending = self.pending.get(message.get("id"))
        if pending is not None and not pending.reply.done():
            error = {"code": message.get("code", ""), "message": message.get("message", "")}
            pending.reply.set_result({"type": "reply", "ok": False, "error": error})
            return
        log("warning", f"engine reported an error: {message!r}")

    async def receive(self, timeout_ms):
        """One body, or None when nothing arrived within timeout_ms."""
        if not await self.sock.poll(timeout_ms, zmq.POLLIN):
            return None
        frames = await self.sock.recv_multipart()
        if len(frames) != 1:
            log("warning", "ignoring a multipart message from the engine")
            return b""
        return frames[0]

    async def handshake(self, stop):
        """Returns the welcome message, or the exit status when there is none."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WELCOME_TIMEOUT_S
        while not stop.is_set():
            if loop.time() >= deadline:
                log("error", "no welcome from the engine")
                return 1
            body = await self.receive(POLL_MS)
            if not body:
                continue
            try:
                message = json.loads(body)
            except ValueError:
                message = None
            if not isinstance(message, dict):
                log("warning", f"ignoring a body that is not a JSON object: {body[:200]!r}")
            elif message.get("type") == "welcome":
                return message
            elif message.get("type") == "error":
                log("error", f"the engine refused the hello: {message!r}")
                return 2
            else:
                log("warning", f"ignoring a message before welcome: {message!r}")
        await self.send({"type": "bye"})  # stopped by a signal: the engine has our hello
        return 0

    async def serve(self, stop, heartbeat_ms):
        loop = asyncio.get_running_loop()
        last_heard = loop.time()
        drain_deadline = None
        while not stop.is_set():
            now = loop.time()
            if self.draining:
                if drain_deadline is None and self.grace_ms > 0:
                    drain_deadline = now + self.grace_ms / 1000
                if not self.calls and not self.tasks:
                    break
                if drain_deadline is not None and now >= drain_deadline:
                    log("warning", f"shutdown grace is over; leaving {len(self.calls)} call(s)")
                    break
            if heartbeat_ms > 0 and now - last_heard > SILENT_BEATS * heartbeat_ms / 1000:
                log("error", f"nothing from the engine for {SILENT_BEATS} heartbeats; exiting")
                return 1
            body = await self.receive(POLL_MS)
            if body is not None:
                last_heard = loop.time()
                if body:
                    await self.dispatch(body)
        await self.send({"type": "bye"})
        return 0


async def main():
    endpoint = os.environ.get("PROFFER_ENDPOINT", "")
    token = os.environ.get("PROFFER_TOKEN", "")
    worker = os.environ.get("PROFFER_WORKER", "")
    if not (endpoint and token and worker):
        log("error", "PROFFER_ENDPOINT, PROFFER_TOKEN and PROFFER_WORKER must be set; "
                     "this program is meant to be started by profferd")
        return 2
    hello = {"type": "hello", "protocol": PROTOCOL, "token": token, "worker": worker}
    capacity = os.environ.get("PROFFER_CAPACITY", "")
    if capacity:
        if not capacity.isdigit():
            log("error", f"PROFFER_CAPACITY is not a number: {capacity}")
            return 2
        hello["capacity"] = int(capacity)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, stop.set)

    context = zmq.asyncio.Context()
    sock = context.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 1000)  # long enough to flush `bye`, no longer
    try:
        sock.connect(endpoint)
        link = Link(sock)
        await link.send(hello)
        welcome = await link.handshake(stop)
        if isinstance(welcome, int):
            return welcome
        log("info", f"connected to {endpoint} as {worker}")
        status = await link.serve(stop, welcome.get("heartbeat_ms") or 0)
        for task in list(link.tasks):
            task.cancel()
        return status
    finally:
        sock.close()
        context.term()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

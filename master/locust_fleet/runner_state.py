"""The runner's state says what happened to the test, not what the last worker message implied.

Locust's master calls `check_stopped` after every worker message it handles. Its second condition,
"no worker is ready, spawning or running", also holds when there is no worker at all, so any
message while none is registered (an `exception` from a peer that never registered, a heartbeat
from a forgotten worker) moves a master that has not started a test yet to "stopped", and a
running test whose only worker said `client_stopped` to "stopped" without a stop (no drain, no
test_stop event). A master in "stopped" that has never run a test then takes the next worker's
`quit` for the end of the test: a headless one quits its message loop while it still waits for
workers, and answers nobody again.

Here the check runs only while a stop is under way, the one time Locust needs it (the workers'
`client_ready` after a `stop` ends the stop), and once more when the stop has fired test_stop: a
stop that no worker answers any more (the last one quit or went missing) ends in "stopped" too,
instead of showing "stopping" until some message arrives. Every other change of state is a test
starting or a stop that fires Locust's events.

A worker marked missing answers no stop, and Locust's check counts it: "every worker is ready
again" never held with one in the list, and "none is ready, spawning or running" only when every
other worker had said client_stopped before any said client_ready, which two Go workers answering
one after the other rarely do (a worker that joined during the stop's drain never). The master
said "stopping" after the stop until Locust dropped the missing worker a minute later, and a start
asked for during the stop waited 10 s more for it (run_phases.py). Here the stop is over once every
worker but the missing ones is ready again.
"""

from locust.runners import STATE_INIT, STATE_MISSING, STATE_STOPPED, STATE_STOPPING, MasterRunner


def install(runner: MasterRunner) -> None:
    check_stopped = runner.check_stopped

    def check_stopped_while_stopping() -> None:
        if runner.state != STATE_STOPPING:
            return
        check_stopped()
        if runner.state == STATE_STOPPING and all(w.state in (STATE_INIT, STATE_MISSING) for w in runner.clients.all):
            runner.update_state(STATE_STOPPED)

    runner.check_stopped = check_stopped_while_stopping  # type: ignore[method-assign]
    runner.environment.events.test_stop.add_listener(lambda **_kw: check_stopped_while_stopping())

"""Every job handler lives in its app's jobs.py (issue 21), so a reader finds what a Job row's
kind runs in one place per app."""

from portal import jobs

# portal/jobs.py is the job machinery itself; the nightly housekeeping stays beside the
# service it calls (portal.services imports portal.jobs, so the reverse would be a cycle).
EXCEPTIONS = {"portal.housekeeping": "portal.services"}


def test_every_job_kind_is_handled_in_its_apps_jobs_module() -> None:
    homes = {
        kind: handler.__module__
        for kind, handler in jobs._HANDLERS.items()
        if not handler.__module__.startswith("tests.")
    }
    assert {"spend.import", "contracts.import", "portal.committee_report"} <= set(homes)
    misplaced = {
        kind: module
        for kind, module in homes.items()
        if not module.endswith(".jobs") and EXCEPTIONS.get(kind) != module
    }
    assert misplaced == {}

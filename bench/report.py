"""Committee report benchmark: one year's edition with ten years of payments in the ledger.

    .venv/bin/python bench/report.py                    # 10,000,000 payments (issue 8 target)
    .venv/bin/python bench/report.py --rows 2000000     # quicker
    .venv/bin/python bench/report.py --reuse --database portal_scale10m_bench

Builds the ledger the way bench/dashboards.py does (suppliers by the ORM, payments straight in
SQL, summaries rebuilt) in its own database, dropped afterwards unless --keep. With --reuse it
takes a kept database instead (one built by this bench with --keep, or by
bench/contract_spend.py or bench/dashboards.py): it runs the migrations, generates nothing
and never drops it; what it adds (one edition, one user) it deletes at the end.

For the last complete financial year with payments it times, cache emptied before each cold
run, and prints each with a floor measured in the same run:

- the draft edition page (a signed-in GET), cold and warm; floor: the reports page, a
  signed-in page that reads no figures;
- the edition's PDF (figures gathered and rendered); floor: WeasyPrint alone on the same HTML;
- the edition's DOCX (figures gathered and written); floor: python-docx alone on the same
  sections;
- finalising the edition (the job's service: figures, frozen JSON, PDF and DOCX stored);
  floor: the PDF and DOCX from figures already gathered.

Target (issue 18): the edition's PDF under 30 s with 10,000,000 payments.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.dashboards import _env, create_database, drop_database, load  # noqa: E402
from portal.periods import financial_year_of  # noqa: E402

PDF_TARGET_SECONDS = 30


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def report_year(current_fy: int) -> int:
    """The last complete financial year with payments (the latest with any, else)."""
    from spend.selectors import financial_years

    years = financial_years()
    if not years:
        raise SystemExit("The database holds no payments: build it without --reuse first.")
    complete = [fy for fy in years if fy < current_fy]
    return max(complete or years)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--suppliers", type=int, default=20_000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="portal_bench_report")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--keep", action="store_true", help="keep the database it built")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="reuse a kept database: run the migrations, generate nothing, never drop it",
    )
    args = parser.parse_args()

    env = _env(f"{args.server}/{args.database}", args.redis)
    os.environ.update(env)
    today = dt.datetime.now(tz=dt.UTC).date()
    current_fy = financial_year_of(today)
    if not args.reuse:
        print(f"Creating {args.database}, loading {args.rows:,} payments…", flush=True)
        create_database(args.server, args.database)
    else:
        print(f"Reusing {args.database}: migrating, generating nothing…", flush=True)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=BASE_DIR, env=env, check=True
    )
    if not args.reuse:
        timings = load(args.rows, args.suppliers, args.years, current_fy - args.years)
        for name, value in timings.items():
            print(f"  {name}: {value:,.1f}", flush=True)

    import django

    django.setup()
    import redis
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from pypdf import PdfReader

    from portal import services as portal_services
    from portal.models import User
    from portal.pdf import html_to_pdf
    from portal.roles import Role
    from reports import committee, services, word
    from reports.models import Edition

    def flush() -> None:
        redis.Redis.from_url(args.redis).flushdb()

    fy = report_year(current_fy)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM spend_payment")
        payments = cursor.fetchone()[0]
    label = f"{fy}/{(fy + 1) % 100:02d}"
    print(f"\nCommittee report edition {label}, {payments:,} payments in the ledger", flush=True)

    email = "bench-report@example.gov.uk"
    user = User.objects.filter(email=email).first() or portal_services.user_create(
        email=email,
        role=Role.PROCUREMENT_OFFICER,
        password="bench-password-long-enough",  # noqa: S106 - a throwaway bench user
        full_name="Bench Officer",
    )
    edition = services.edition_create(
        fy=fy, committee_name="Bench committee", meeting_date=today, user=user
    )
    services.edition_save(
        edition=edition,
        fields={"report_of": "Bench"},
        narrative={"introduction": "# Bench\n- one\n- two", "key-spend": "Text."},
    )
    try:
        client = Client(HTTP_HOST=settings.ALLOWED_HOSTS[0])
        client.force_login(user)

        def get(url: str) -> None:
            response = client.get(url, secure=True)
            if response.status_code != 200:
                raise SystemExit(f"GET {url}: {response.status_code}")

        flush()
        get(reverse("reports:centre"))  # sessions, templates and URL resolver loaded once
        floor, _ = timed(lambda: get(reverse("reports:centre")))
        flush()
        cold, _ = timed(lambda: get(edition.get_absolute_url()))
        warm, _ = timed(lambda: get(edition.get_absolute_url()))
        print(
            f"  draft page: cold {cold:.2f} s, warm {warm:.2f} s "
            f"(floor: the reports page, {floor:.2f} s)",
            flush=True,
        )

        flush()
        pdf_seconds, pdf = timed(lambda: committee.render_edition_pdf(edition))
        html, context = committee.edition_html(edition)
        pdf_floor, _ = timed(lambda: html_to_pdf(html, str(settings.BASE_DIR)))
        pages = len(PdfReader(io.BytesIO(pdf)).pages)
        verdict = "met" if pdf_seconds < PDF_TARGET_SECONDS else "MISSED"
        print(
            f"  PDF: {pdf_seconds:.1f} s, {pages} pages, {len(pdf):,} bytes "
            f"(floor: WeasyPrint on the same HTML, {pdf_floor:.1f} s; target < "
            f"{PDF_TARGET_SECONDS} s: {verdict})",
            flush=True,
        )

        flush()
        docx_seconds, docx = timed(lambda: committee.render_edition_docx(edition))
        sections = committee.section_dicts(context)
        docx_floor, _ = timed(
            lambda: word.edition_docx(edition, sections, context["as_at"], context["generated_at"])
        )
        print(
            f"  DOCX: {docx_seconds:.1f} s, {len(docx):,} bytes "
            f"(floor: python-docx on the same sections, {docx_floor:.2f} s)",
            flush=True,
        )

        flush()
        final_seconds, final = timed(
            lambda: services.edition_finalise(edition_id=edition.pk, user=user)
        )
        print(
            f"  finalising (figures, frozen JSON, PDF and DOCX stored): {final_seconds:.1f} s, "
            f"PDF {final.pdf.size:,} bytes, DOCX {final.docx.size:,} bytes "
            f"(floor: the PDF and DOCX from figures already gathered, "
            f"{pdf_floor + docx_floor:.1f} s)",
            flush=True,
        )
        client.logout()
    finally:
        # A reused database is someone else's: leave it as it was found.
        for made in Edition.objects.filter(pk=edition.pk):
            for kept in (made.pdf, made.docx):
                if kept:
                    kept.delete(save=False)
            made.delete()
        if args.reuse:
            User.objects.filter(email=email).delete()
    if not args.keep and not args.reuse:
        from django.db import connections

        connections.close_all()
        drop_database(args.server, args.database)


if __name__ == "__main__":
    main()

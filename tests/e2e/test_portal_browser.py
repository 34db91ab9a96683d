"""The consumer portal in a real browser (Debian's chromium, driven by Playwright) against the
real server (``create_app`` under uvicorn, on a free port of 127.0.0.1), on SQLite and PostgreSQL:
a consumer signs in with a one-time code, withdraws a consent, the Other User's next API call is
refused at once, and the consumer sees that refused call in their access log. The browser runs
with JavaScript disabled: the pages need none."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import Engine

from meterguard import bootstrap
from meterguard.domain.catalogue import Group
from meterguard.domain.time import DAY, format_instant
from meterguard.entrypoints import web
from meterguard.entrypoints.http.app import create_app
from portal_world import E1, SMALL, add_readings

CHROMIUM = Path(os.environ.get("MG_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"BROWSER TESTS SKIPPED: no chromium at {CHROMIUM} (apt-get install chromium)",
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server(engine: Engine) -> Iterator[str]:
    """The real HTTP server with the web pages, in a thread; its base URL."""
    app = create_app(engine)
    web.attach_to_hub(app)
    port = free_port()
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    uv.should_exit = True
    thread.join(timeout=10)


def test_a_withdrawn_consent_refuses_the_next_api_call_and_the_refusal_shows_in_the_access_log(
    engine: Engine, server: str
) -> None:
    from playwright.sync_api import expect, sync_playwright

    bootstrap.import_directory(engine, SMALL)
    now = bootstrap.system_clock()
    today = now - now % DAY
    add_readings(engine, E1, format_instant(today - 3 * DAY), format_instant(today))
    consents = bootstrap.consent_service(engine, bootstrap.facts(engine))
    consent = consents.grant(
        consumer_id="C-BOB",
        mpxn=E1,
        party_id="APP1",
        purpose="energy_advice",
        data_groups={Group.CONSUMPTION},
        data_from=today - 30 * DAY,
        data_to=None,
        expires_at=None,
        verification="ihd_guid",
        actor="test",
    )
    consents.record_notice(
        consent.consent_id,
        time_periods="the last 30 days and from now on",
        purpose="energy_advice",
        right_to_withdraw="withdraw in the portal at any time",
        actor="test",
    )
    app1 = {"Authorization": f"Bearer {bootstrap.api_keys(engine).issue(party_id='APP1')}"}
    ask = {
        "role": "OU",
        "from": format_instant(today - 3 * DAY),
        "to": format_instant(today),
        "purpose": "energy_advice",
    }
    api = f"{server}/v1/meter-points/{E1}/consumption"
    before = httpx.get(api, params=ask, headers=app1)
    assert before.status_code == 200, before.text
    assert len(before.json()["readings"]) == 3 * 48
    code = bootstrap.sign_in_codes(engine).issue("C-BOB").code

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            # The portal works without JavaScript: the browser runs none.
            page = browser.new_context(java_script_enabled=False).new_page()
            page.goto(f"{server}/portal")
            expect(page).to_have_url(f"{server}/portal/sign-in")
            page.get_by_label("Consumer reference").first.fill("C-BOB")
            page.get_by_label("One-time code").fill(code)
            page.get_by_role("button", name="Sign in").click()
            expect(page).to_have_url(f"{server}/portal")
            expect(page.get_by_role("heading", name="Your meter points")).to_be_visible()
            expect(page.locator("svg.chart rect.bar")).to_have_count(3)

            page.get_by_role("link", name="Consents").click()
            withdraw = page.get_by_role(
                "button", name=f"Withdraw consent {consent.consent_id} given to Watt Watcher App"
            )
            withdraw.click()
            expect(page.get_by_role("status")).to_contain_text(
                "Watt Watcher App can no longer obtain your data"
            )
            expect(withdraw).to_have_count(0)

            after = httpx.get(api, params=ask, headers=app1)
            assert after.status_code == 403, after.text
            assert after.json()["code"] == "CONSENT_NOT_ACTIVE"

            page.get_by_role("link", name="Who saw my data").click()
            refused = page.locator("tbody tr", has_text="CONSENT_NOT_ACTIVE")
            expect(refused).to_have_count(1)
            expect(refused).to_contain_text("Watt Watcher App")
            expect(refused).to_contain_text("deny")
            answered = page.locator("tbody tr", has_text="Watt Watcher App").filter(
                has_text="allow"
            )
            expect(answered).to_have_count(1)  # the call made before the withdrawal
        finally:
            browser.close()

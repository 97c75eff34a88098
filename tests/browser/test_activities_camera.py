"""The door page's camera scanner, with Chromium's fake camera playing a video of a real check-in QR code.

The video is written by the test: the registration's signed code as a QR (segno), drawn on a white 640x480
picture (Pillow), as a few raw YUV 4:2:0 frames in a Y4M file that Chromium plays in a loop as the camera
(``--use-file-for-fake-video-capture``). Nothing is handed to the page: it has to open the camera, decode the
frames itself (jsQR here, or the browser's BarcodeDetector) and send the code through the typed-code form.
localhost is a secure context, so getUserMedia works against the live server.

Without a camera (refused, none, no https) the page says so in a translated message and the typed form works.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import segno
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, expect

from anju.activities import services
from anju.activities.models import Registration, Session
from anju.audit.models import AuditEvent
from anju.testing import TEST_PASSWORD
from anju.testing.activities import ActivityWorld, first_session, make_activity, make_activity_world

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
WIDTH, HEIGHT = 640, 480


def qr_video(text: str, path: Path, frames: int = 5) -> Path:
    """A Y4M video (what Chromium's fake camera plays) of ``text`` as a QR code on white paper."""
    qr = io.BytesIO()
    segno.make(text, error="m").save(qr, kind="png", scale=6, border=4)
    code = Image.open(io.BytesIO(qr.getvalue())).convert("RGB")
    assert code.width <= HEIGHT, f"QR too large for the frame: {code.width}px"
    picture = Image.new("RGB", (WIDTH, HEIGHT), "white")
    picture.paste(code, ((WIDTH - code.width) // 2, (HEIGHT - code.height) // 2))
    # Pillow's YCbCr is the full-range JPEG flavour, which is what "C420jpeg" declares.
    y, cb, cr = picture.convert("YCbCr").split()
    half = (WIDTH // 2, HEIGHT // 2)
    planes = y.tobytes() + cb.resize(half, Image.Resampling.BILINEAR).tobytes()
    planes += cr.resize(half, Image.Resampling.BILINEAR).tobytes()
    assert len(planes) == WIDTH * HEIGHT * 3 // 2
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode("ascii"))
        for _ in range(frames):
            out.write(b"FRAME\n" + planes)
    return path


def sign_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(TEST_PASSWORD)
    page.locator("form.form button[type=submit]").click()
    expect(page.locator("main h1")).to_be_visible()


def phone(browser: Browser, live_server: Any) -> BrowserContext:
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(15_000)
    return context


def camera_phone(
    launch_chromium: Callable[..., Browser], live_server: Any, video: Path, *scripts: str
) -> BrowserContext:
    """A phone whose camera (Chromium's fake device, permission granted) plays ``video``; ``scripts`` run first
    on every page."""
    browser = launch_chromium(
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    )
    context = phone(browser, live_server)
    context.grant_permissions(["camera"])
    for script in scripts:
        context.add_init_script(script)
    return context


def open_door(context: BrowserContext, activity_world: ActivityWorld, session: Session) -> Page:
    page = context.new_page()
    sign_in(page, activity_world.users["worker"].username)
    page.goto(f"/activities/sessions/{session.pk}/door/")
    return page


@pytest.fixture
def door(
    live_server: Any, django_db_serialized_rollback: None, transactional_db: Any
) -> tuple[ActivityWorld, Session, Registration]:
    activity_world = make_activity_world()
    session = first_session(make_activity(activity_world, soon=True))
    reg = services.registration_create(actor=activity_world.users["resident"], session=session)
    assert reg.status == Registration.Status.CONFIRMED
    return activity_world, session, reg


def checked_in() -> int:
    return AuditEvent.objects.filter(action="activity.checked_in").count()


# Chromium on Linux has no BarcodeDetector today; take it away anyway, so this test always covers jsQR.
NO_NATIVE_DETECTOR = "delete window.BarcodeDetector;"


def test_organiser_scans_the_pass_with_the_phone_camera(
    door: tuple[ActivityWorld, Session, Registration],
    live_server: Any,
    launch_chromium: Callable[..., Browser],
    tmp_path: Path,
) -> None:
    activity_world, session, reg = door
    video = qr_video(services.checkin_token(reg), tmp_path / "pass.y4m")
    context = camera_phone(launch_chromium, live_server, video, NO_NATIVE_DETECTOR)
    try:
        page = open_door(context, activity_world, session)
        expect(page.locator("#attendance-count")).to_contain_text("0")
        assert page.evaluate("typeof window.jsQR") == "undefined"  # loaded only when the camera needs it
        page.locator("#camera-start").click()  # "Scan with camera"
        expect(page.locator("#camera-video")).to_be_visible()

        result = page.locator("#camera-result")
        expect(result.locator(".msg-success")).to_contain_text("张桂兰")
        expect(page.locator("#attendance-count")).to_contain_text("1")
        expect(page.locator("#door-list")).to_contain_text("张桂兰")
        assert page.evaluate("typeof window.jsQR") == "function"  # decoded by jsQR
        # Scanning goes on: the same pass, after the pause, answers "already checked in".
        expect(result.locator(".msg-warning")).to_contain_text("张桂兰")
        expect(result.locator(".msg-success")).to_have_count(0)
        expect(page.locator("#attendance-count")).to_contain_text("1")
        reg.refresh_from_db()
        assert reg.checked_in_at is not None
        assert reg.checked_in_by == activity_world.users["worker"]
        assert checked_in() == 1
        assert Registration.objects.filter(session=session, checked_in_at__isnull=False).count() == 1

        # Stop turns the camera off (no live track left) and the typed form is still there.
        page.evaluate("window.__stream = document.getElementById('camera-video').srcObject")
        assert page.evaluate("window.__stream.getVideoTracks()[0].readyState") == "live"
        page.locator("#camera-stop").click()
        expect(page.locator("#camera-video")).to_be_hidden()
        assert page.evaluate("window.__stream.getTracks().every(t => t.readyState === 'ended')")
        expect(page.locator("#camera-start")).to_be_visible()
        stopped = page.locator("#camera-scan").get_attribute("data-msg-stopped")
        assert stopped
        expect(page.locator("#camera-status")).to_have_text(stopped)
        assert page.evaluate("document.getElementById('camera-video').srcObject") is None
        expect(page.locator("#code")).to_be_editable()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        context.close()


def test_a_native_barcode_detector_is_used_when_the_browser_has_one(
    door: tuple[ActivityWorld, Session, Registration],
    live_server: Any,
    launch_chromium: Callable[..., Browser],
    tmp_path: Path,
) -> None:
    """Where the browser reads QR codes itself (Android Chrome), jsQR is not even loaded. The stand-in detector
    answers with the short code once it is handed a camera frame."""
    activity_world, session, reg = door
    video = qr_video(services.checkin_token(reg), tmp_path / "pass.y4m")
    context = camera_phone(
        launch_chromium,
        live_server,
        video,
        f"window.__code = {json.dumps(reg.short_code.lower())};",
        """
        window.__frames = 0;
        window.BarcodeDetector = class {
          static getSupportedFormats() { return Promise.resolve(["qr_code", "ean_13"]); }
          constructor(options) { window.__formats = options.formats; }
          detect(source) {
            const ok = source instanceof HTMLCanvasElement && source.width > 0 && source.height > 0;
            if (ok) window.__frames += 1;
            return Promise.resolve(ok ? [{ rawValue: window.__code, format: "qr_code" }] : []);
          }
        };
        """,
    )
    try:
        page = open_door(context, activity_world, session)
        page.locator("#camera-start").click()
        expect(page.locator("#camera-result .msg-success")).to_contain_text("张桂兰")
        expect(page.locator("#attendance-count")).to_contain_text("1")
        assert page.evaluate("window.__frames") >= 1
        assert page.evaluate("window.__formats") == ["qr_code"]
        assert page.evaluate("typeof window.jsQR") == "undefined"
        assert checked_in() == 1
    finally:
        context.close()


def test_a_foreign_code_read_by_the_camera_is_refused(
    door: tuple[ActivityWorld, Session, Registration],
    live_server: Any,
    launch_chromium: Callable[..., Browser],
    tmp_path: Path,
) -> None:
    """The camera's code goes through the same checks as a typed one: a pass for another activity is refused."""
    activity_world, session, _ = door
    other = first_session(make_activity(activity_world, title="包饺子", days=5))
    foreign = services.registration_create(actor=activity_world.users["resident"], session=other)
    video = qr_video(services.checkin_token(foreign), tmp_path / "foreign.y4m")
    context = camera_phone(launch_chromium, live_server, video, NO_NATIVE_DETECTOR)
    try:
        page = open_door(context, activity_world, session)
        page.locator("#camera-start").click()
        expect(page.locator("#camera-result .msg-error")).to_contain_text("包饺子")
        expect(page.locator("#attendance-count")).to_contain_text("0")
        assert checked_in() == 0
        assert not Registration.objects.filter(checked_in_at__isnull=False).exists()
    finally:
        context.close()


@pytest.mark.parametrize(
    ("script", "message"),
    [
        (
            "navigator.mediaDevices.getUserMedia = () =>"
            " Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));",
            "denied",
        ),
        (
            "navigator.mediaDevices.getUserMedia = () =>"
            " Promise.reject(new DOMException('Requested device not found', 'NotFoundError'));",
            "notfound",
        ),
        ("Object.defineProperty(window, 'isSecureContext', { get: () => false });", "insecure"),
        ("Object.defineProperty(navigator, 'mediaDevices', { get: () => undefined });", "unsupported"),
    ],
)
def test_without_a_camera_the_page_says_why_and_the_typed_code_still_works(
    page: Page, door: tuple[ActivityWorld, Session, Registration], script: str, message: str
) -> None:
    activity_world, session, reg = door
    page.context.add_init_script(script)
    sign_in(page, activity_world.users["worker"].username)
    page.goto(f"/activities/sessions/{session.pk}/door/")
    expected = page.locator("#camera-scan").get_attribute(f"data-msg-{message}")
    assert expected
    page.locator("#camera-start").click()
    expect(page.locator("#camera-status")).to_have_text(expected)
    expect(page.locator("#camera-video")).to_be_hidden()
    expect(page.locator("#camera-start")).to_be_enabled()

    page.locator("#code").fill(reg.short_code)
    page.locator("#scan-form button[type=submit]").click()
    expect(page.locator("#attendance-count")).to_contain_text("1")
    assert checked_in() == 1

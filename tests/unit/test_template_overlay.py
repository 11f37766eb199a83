"""The shop's own templates (AFTERCART_TEMPLATES_DIR) over the packaged ones, file by file:
in `aftercart render` as the workers render them, a new language as a folder, every template
checked with its file and line, and `aftercart templates check|list|export`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from overlays import PLACED_EN, PLACED_SV, shop_overlay, write

from aftercart.cli import main
from channels.checks import check_templates
from channels.overlay import PACKAGED
from channels.preview import sample_request
from channels.render import Renderer


@pytest.fixture
def overlay(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shop's folder, set as the workers would have it."""
    folder = shop_overlay(tmp_path / "shop-templates")
    monkeypatch.setenv("AFTERCART_TEMPLATES_DIR", str(folder))
    monkeypatch.setenv("AFTERCART_SHOP_NAME", "Muumi Puoti")
    return folder


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_render_shows_the_shops_wording(overlay: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "render", "order.placed", "--channel", "email", "--lang", "en")
    assert code == 0
    assert out.startswith("Subject: We have your order #1001, Aino\n")
    assert "Hello Aino, order #1001 is in our hands.\nMuumi Puoti" in out
    # The HTML part was not overlaid: the packaged one, with the shop's name
    _, html, _ = run(capsys, "render", "order.placed", "--channel", "email", "--html")
    assert "Thank you for your order" in html or "first order" in html
    assert "Muumi Puoti" in html


def test_a_new_language_is_a_folder(overlay: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "render", "order.placed", "--channel", "email", "--lang", "sv-SE")
    assert code == 0
    assert out.startswith("Subject: Tack för din beställning #1001!\n")
    assert "Summa: 52,30\xa0€" in out  # money as Swedish writes it
    code, sms, _ = run(capsys, "render", "order.placed", "--channel", "sms", "--lang", "sv")
    assert sms.startswith("Muumi Puoti: tack för beställning #1001!")
    # What Swedish lacks falls back to English
    code, paid, _ = run(capsys, "render", "order.paid", "--channel", "email", "--lang", "sv")
    assert code == 0 and paid.startswith("Subject: Payment received")


def test_html_of_the_shops_templates_is_escaped(overlay: Path) -> None:
    renderer = Renderer(overlay=overlay)
    request = sample_request("order.placed", "email", "sv", known=["en", "sv"])
    customer = {**request.data["customer"], "first_name": "<script>x</script>"}
    hostile = request.model_copy(update={"data": {**request.data, "customer": customer}})
    html = renderer.email(hostile).html
    assert "<script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html


def test_templates_are_read_once(overlay: Path) -> None:
    # Given a renderer that checked every template at start
    renderer = Renderer(overlay=overlay)
    assert check_templates(renderer, overlay) == []
    # When the shop's folder goes away, the worker still renders what it read
    shutil.rmtree(overlay)
    request = sample_request("order.placed", "email", "sv", known=["en", "sv"])
    assert renderer.email(request).subject == "Tack för din beställning #1001!"


def test_check_passes_sound_templates(overlay: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "templates", "check")
    assert (code, err) == (0, "")
    assert f"every template renders ({overlay})" in out


@pytest.mark.parametrize(
    ("name", "text", "line", "says"),
    [
        (
            "en/order.placed.txt.j2",
            PLACED_EN.replace("{% block text %}", "{% block text %}{% if %}"),
            3,
            "syntax error: Expected an expression",
        ),
        (
            "en/order.placed.txt.j2",
            PLACED_EN.replace("Hello {{", "Hello {{ customer.nickname }} {{"),
            4,
            "undefined: 'dict object' has no attribute 'nickname'",
        ),
        (
            "en/_layout.html.j2",
            (PACKAGED / "en/_layout.html.j2")
            .read_text()
            .replace("<title>", "<title>{{ shop.slogan }}"),
            6,
            "has no attribute 'slogan'",
        ),
        (
            "sv/order.placed.txt.j2",
            PLACED_SV.replace(
                "{% block text %}\n", '{% block text %}\n{% import "sv/_w.j2" as w %}'
            ),
            3,
            "no such template: sv/_w.j2",
        ),
        ("sv/order.paid.txt.j2", "{% block subject %}Betalt{% endblock %}\n", None, "lacks"),
    ],
)
def test_check_names_the_file_and_line_of_a_broken_template(
    overlay: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    text: str,
    line: int | None,
    says: str,
) -> None:
    write(overlay, {name: text})
    code, _, err = run(capsys, "templates", "check")
    assert code == 1
    where = f"{overlay / name}:{line}" if line else f"{overlay / name}"
    assert f"broken template {where}: " in err
    assert says in err


def test_list_says_where_each_template_comes_from(
    overlay: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "templates", "list")
    rows = [line.split() for line in out.splitlines()]
    assert code == 0
    assert [
        "en",
        "order.placed",
        "txt",
        "overlaid",
        str(overlay / "en/order.placed.txt.j2"),
    ] in rows
    assert ["en", "order.placed", "html", "packaged"] == rows_for(rows, "en", "order.placed")[1][:4]
    assert ["sv", "order.placed", "txt", "added", str(overlay / "sv/order.placed.txt.j2")] in rows
    assert ["sv", "order.paid", "txt", "packaged,", "en"] == rows_for(rows, "sv", "order.paid")[0][
        :5
    ]
    assert any(row[:3] == ["en/_layout.html.j2", "shared", "packaged"] for row in rows)


def rows_for(rows: list[list[str]], language: str, template: str) -> list[list[str]]:
    return [row for row in rows if row[:2] == [language, template]]


def test_export_copies_the_packaged_templates_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "start"
    code, out, _ = run(capsys, "templates", "export", str(target))
    assert code == 0 and "templates written" in out
    assert (target / "en/order.placed.txt.j2").read_text() == (
        PACKAGED / "en/order.placed.txt.j2"
    ).read_text()
    assert (target / "_shared/macros.html.j2").is_file()
    # A second export would overwrite the shop's edits: refused, unless --force
    (target / "en/order.placed.txt.j2").write_text("edited")
    code, _, err = run(capsys, "templates", "export", str(target))
    assert code == 2 and "--force" in err
    assert (target / "en/order.placed.txt.j2").read_text() == "edited"
    code, _, _ = run(capsys, "templates", "export", str(target), "--force")
    assert code == 0 and (target / "en/order.placed.txt.j2").read_text() != "edited"


def test_a_templates_dir_that_is_not_a_folder_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AFTERCART_TEMPLATES_DIR", str(tmp_path / "nowhere"))
    code, _, err = run(capsys, "templates", "check")
    assert code == 2 and f"AFTERCART_TEMPLATES_DIR={tmp_path / 'nowhere'} is not a folder" in err

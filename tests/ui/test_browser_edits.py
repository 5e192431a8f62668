"""The web UI in headless Chromium, changing things: experiments created, renamed, deleted
and restored; run tags and descriptions edited (an XSS description stays inert); runs
deleted from the table; registry stages and aliases set; the theme choice remembered."""

from __future__ import annotations

from typing import Any

import pytest

from tests.ui.builders import XSS, XSS_MARKDOWN
from tests.ui.conftest import UiServer

pytestmark = pytest.mark.browser


def _accept_dialogs(page: Any) -> None:
    page.on("dialog", lambda dialog: dialog.accept())


def test_experiments_are_created_renamed_deleted_and_restored(page: Any, ui: UiServer) -> None:
    _accept_dialogs(page)
    page.goto(ui.url + "/")
    page.click("#create-experiment")
    name = f"new {XSS[1]}"
    page.fill("#experiment-name", name)
    page.keyboard.press("Enter")
    page.wait_for_url("**/experiments/*")
    assert page.locator("h1").inner_text() == name
    page.goto(ui.url + "/")
    row = page.locator("tr", has_text=name)
    row.get_by_role("button", name="Rename").click()
    page.fill("#experiment-name", "renamed")
    page.keyboard.press("Enter")
    page.wait_for_selector("tr:has-text('renamed')")
    page.locator("tr", has_text="renamed").get_by_role("button", name="Delete").click()
    page.wait_for_selector("tr:has-text('renamed')", state="detached")
    page.goto(ui.url + "/?view=deleted")
    page.locator("tr", has_text="renamed").get_by_role("button", name="Restore").click()
    page.wait_for_load_state("networkidle")
    page.goto(ui.url + "/")
    assert page.locator("tr", has_text="renamed").count() == 1
    page.click("#create-experiment")
    page.fill("#experiment-name", "renamed")
    page.keyboard.press("Enter")
    page.locator("#experiment-error").wait_for(state="visible")
    assert "already exists" in page.locator("#experiment-error").inner_text()
    assert page.evaluate("window.__xss === undefined") and page.errors == []


def test_tags_and_description_are_edited_on_the_run_page(page: Any, ui: UiServer) -> None:
    demo = ui.demo
    assert demo is not None
    _accept_dialogs(page)
    page.goto(ui.url + f"/runs/{demo.runs[2]}")
    page.click("#add-tag")
    page.fill("#tag-key", "stage")
    page.fill("#tag-value", XSS[1])
    page.click("#tag-form button[type=submit]")
    page.wait_for_selector("#tags-table tr[data-key='stage']")
    row = page.locator("#tags-table tr[data-key='stage']")
    assert row.locator("td").nth(1).inner_text() == XSS[1]
    row.get_by_role("button", name="Edit").click()
    page.fill("#tag-value", "prod")
    page.click("#tag-form button[type=submit]")
    page.wait_for_function(
        "() => document.querySelector(\"#tags-table tr[data-key='stage'] td:nth-child(2)\")"
        ".textContent === 'prod'"
    )
    page.locator("#tags-table tr[data-key='team']").get_by_role("button", name="Delete").click()
    page.wait_for_selector("#tags-table tr[data-key='team']", state="detached")
    page.click("#edit-description")
    page.fill("#description-text", XSS_MARKDOWN)
    page.click("#preview-description")
    page.wait_for_selector("#description-preview strong")
    page.click("#description-form button[type=submit]")
    page.wait_for_selector("#description-view h1")
    tags = ui.store.get_run(demo.runs[2]).data.tag_dict
    assert tags["stage"] == "prod" and "team" not in tags
    assert tags["mlflow.note.content"] == XSS_MARKDOWN
    page.reload()
    assert page.locator("#description-view strong").inner_text() == "bold"
    assert page.locator("#description-view a[href^='javascript']").count() == 0
    assert page.evaluate("window.__xss === undefined") and page.errors == []


def test_runs_are_selected_compared_and_deleted_from_the_table(page: Any, ui: UiServer) -> None:
    demo = ui.demo
    assert demo is not None
    _accept_dialogs(page)
    page.goto(ui.url + f"/experiments/{demo.experiment_id}")
    page.wait_for_function("() => performance.getEntriesByName('runwell:runs-complete').length")
    page.get_by_label("Select run trial-4").check()
    page.get_by_label("Select run trial-5").check()
    assert page.locator("#selection-count").inner_text() == "2 selected"
    page.click("#compare-selected")
    page.wait_for_url("**/compare?runs=*")
    assert page.locator("#compare-runs tbody tr").count() == 2
    page.go_back()
    page.wait_for_function("() => performance.getEntriesByName('runwell:runs-complete').length")
    page.get_by_label("Select run trial-5").check()
    page.click("#delete-selected")
    page.wait_for_function("() => document.querySelector('#run-count').textContent.startsWith('7')")
    assert ui.store.get_run(demo.runs[5]).info.lifecycle_stage.value == "deleted"
    page.select_option("#run-view", "deleted")
    page.wait_for_function(
        "() => document.querySelector('#run-count').textContent.startsWith('1 run')"
    )
    page.get_by_label("Select run trial-5").check()
    page.click("#restore-selected")
    page.wait_for_function("() => document.querySelector('#run-count').textContent.startsWith('0')")
    assert ui.store.get_run(demo.runs[5]).info.lifecycle_stage.value == "active"


def test_registry_stage_alias_and_tags(page: Any, ui: UiServer) -> None:
    _accept_dialogs(page)
    page.goto(ui.url + "/models?q=iris")
    assert page.locator("#models-table tbody tr").count() == 1
    page.get_by_role("link", name="iris classifier").click()
    page.wait_for_load_state("networkidle")
    page.select_option("#stage-3", "Staging")
    page.wait_for_selector("#toast.show")
    page.fill("#alias-name", "challenger")
    page.select_option("#alias-version", "3")
    page.click("#alias-form button[type=submit]")
    page.wait_for_selector("li[data-alias='challenger']")
    page.locator("li[data-alias='champion']").get_by_role("button", name="Remove").click()
    page.wait_for_selector("li[data-alias='champion']", state="detached")
    page.get_by_role("link", name="v3").first.click()
    page.wait_for_load_state("networkidle")
    page.click("#add-tag")
    page.fill("#tag-key", "validated")
    page.fill("#tag-value", "yes")
    page.click("#tag-form button[type=submit]")
    page.wait_for_selector("#tags-table tr[data-key='validated']")
    page.goto(ui.url + "/model?name=iris%20classifier")
    assert "Staging" in page.locator("#stage-3").input_value()
    assert page.locator("li[data-alias='challenger']").count() == 1
    assert page.evaluate("window.__xss === undefined") and page.errors == []


def test_the_theme_choice_is_remembered(page: Any, ui: UiServer) -> None:
    page.goto(ui.url + "/")
    before = page.evaluate("document.documentElement.dataset.theme || 'auto'")
    page.click("#theme-toggle")
    page.reload()
    after = page.evaluate("document.documentElement.dataset.theme")
    assert after in ("dark", "light") and after != before
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "experiment-search"

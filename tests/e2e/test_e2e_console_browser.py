"""The recruiter console in a real (headless) Chromium: sign-in through the identity provider →
search → profile → scout → sent scouts → reply both ways → ATS import, with a screenshot of each
page kept as a test artifact (TSUNAGU_TEST_ARTIFACTS, default .cache/test-artifacts/console)."""

import os
import shutil
import tempfile
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait
from tsunagu_tools.demo.cast import new_cast, register_student, seed_companies, wait_until_recruiter_may_search
from tsunagu_tools.stack import Api, StackUrls, Tokens, eventually

pytestmark = pytest.mark.slow
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
ARTIFACTS = Path(os.environ.get("TSUNAGU_TEST_ARTIFACTS", Path(__file__).parents[2] / ".cache" / "test-artifacts"))


@pytest.fixture
def browser():
    if not shutil.which("chromium") or not shutil.which("chromedriver"):
        pytest.fail("Chromium is not installed: run scripts/install_browser.sh")
    profile = tempfile.mkdtemp(prefix="tsunagu-chromium-")
    options = webdriver.ChromeOptions()
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                 "--window-size=1280,1400", "--lang=ja", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.binary_location = shutil.which("chromium")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _wait_text(driver, element_id: str, text: str, timeout: float = 20) -> None:
    WebDriverWait(driver, timeout).until(EC.text_to_be_present_in_element((By.ID, element_id), text))


def _screenshot(driver, name: str) -> None:
    folder = ARTIFACTS / "console"
    folder.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(folder / f"{name}.png"))


def _click(driver, css: str, timeout: float = 20):
    element = WebDriverWait(driver, timeout).until(EC.element_to_be_clickable((By.CSS_SELECTOR, css)))
    element.click()
    return element


async def test_a_recruiters_day_in_the_console(e2e_stack, browser):
    urls, tokens, cast = StackUrls.from_env(e2e_stack.env), Tokens(), new_cast()
    company, student = cast.company("A"), cast.person("aoi")
    async with httpx.AsyncClient() as client:
        api = Api(urls, client)
        await seed_companies(api, tokens, cast)
        await register_student(api, tokens, student)
        await wait_until_recruiter_may_search(api, tokens, company)

        # Sign in at the company's identity provider (the emulated one), in Japanese by default.
        driver = browser
        driver.get(e2e_stack.url("console"))
        _click(driver, "#idp-sign-in-link")
        WebDriverWait(driver, 20).until(EC.presence_of_element_located((By.ID, "idp-subject")))
        _screenshot(driver, "01-identity-provider")
        driver.find_element(By.ID, "idp-subject").send_keys(company.recruiter_id)
        driver.find_element(By.ID, "idp-company").send_keys(company.company_id)
        driver.find_element(By.ID, "idp-name").send_keys(company.recruiter_name)
        driver.find_element(By.ID, "idp-submit").click()
        _wait_text(driver, "who", company.name)
        assert driver.find_element(By.ID, "search-button").text == "検索"
        # the session survives a reload; the page never holds a token
        driver.refresh()
        _wait_text(driver, "who", company.name)
        assert not driver.execute_script("return document.cookie")  # HttpOnly: invisible to scripts
        assert "残り" in driver.find_element(By.ID, "quota").text

        # Search with readable labels, open her profile; a lazy reason is refused with the API's words.
        Select(driver.find_element(By.ID, "search-industry")).select_by_visible_text("ロボティクス")
        driver.find_element(By.ID, "search-button").click()
        _click(driver, f'tr[data-candidate="{student.candidate_id}"] button.open-profile')
        _wait_text(driver, "profile-name", student.name)
        assert "ロボティクス" in driver.find_element(By.ID, "profile-details").text
        _screenshot(driver, "02-search-and-profile")
        driver.find_element(By.ID, "scout-reason").send_keys("短い")
        driver.find_element(By.ID, "scout-button").click()
        WebDriverWait(driver, 20).until(EC.visibility_of_element_located((By.ID, "error")))
        assert "エラー 422" in driver.find_element(By.ID, "error").text

        reason = driver.find_element(By.ID, "scout-reason")
        reason.clear()
        reason.send_keys("ロボットの制御ソフトを作っているという自己PRを拝見し、当社の開発チームでぜひ一緒に働きたいと思いました。")
        driver.find_element(By.ID, "scout-button").click()
        _wait_text(driver, "notice", "スカウトを送りました")
        assert not driver.find_element(By.ID, "error").is_displayed()

        # Sent scouts: by her name, with a readable state.
        _click(driver, 'nav [data-tab="sent-section"]')
        _wait_text(driver, "sent", student.name)
        assert "返信待ち" in driver.find_element(By.ID, "sent").text
        _screenshot(driver, "03-sent-scouts")

        # She answers through the messaging API (the student app is not part of this console)...
        her = tokens.candidate(student.candidate_id)

        async def thread():
            threads = await api.json("GET", "messaging", "/threads", token=her)
            return next((t for t in threads if t["company_id"] == company.company_id), None)

        opened = await eventually(thread, what="the thread the scout opened")
        reply = "ご連絡ありがとうございます。ぜひ詳しくお話を伺いたいです。"
        await api.call("POST", "messaging", f"/threads/{opened['thread_id']}/messages", token=her,
                       json={"body": reply})

        # ... and the recruiter reads it in a thread titled by her name, and answers.
        _click(driver, 'nav [data-tab="threads-section"]')
        _wait_text(driver, "threads", reply)
        assert f"{student.name}: {reply}" in driver.find_element(By.ID, "threads").text
        answer = "ありがとうございます。来週、オンラインで面談しませんか。"
        driver.find_element(By.CSS_SELECTOR, f'[data-thread="{opened["thread_id"]}"] .reply-body').send_keys(answer)
        _click(driver, f'[data-thread="{opened["thread_id"]}"] .reply-send')
        _wait_text(driver, "threads", answer)
        _screenshot(driver, "04-conversation")
        messages = await api.json("GET", "messaging", f"/threads/{opened['thread_id']}/messages", token=her)
        assert [m["body"] for m in messages][-1] == answer

        # An ATS file: its columns are previewed and mapped in a form, the import runs to the end.
        csv_path = ARTIFACTS / "console" / "applicants.csv"
        csv_path.write_text(f"氏名,メールアドレス,所属\n山本 花,hana.{cast.run}@students.example,工学部\n",
                            encoding="utf-8")
        _click(driver, 'nav [data-tab="campaign-section"]')
        driver.find_element(By.ID, "campaign-name").send_keys(f"秋の説明会 {cast.run}")
        driver.find_element(By.ID, "campaign-file").send_keys(str(csv_path))
        WebDriverWait(driver, 20).until(EC.presence_of_element_located((By.ID, "campaign-preview-table")))
        assert "山本 花" in driver.find_element(By.ID, "campaign-preview-table").text
        mapped = [Select(s).first_selected_option.text
                  for s in driver.find_elements(By.CSS_SELECTOR, "#campaign-preview select.maps-to")]
        assert mapped == ["氏名", "メールアドレス", "使わない"]
        driver.find_element(By.ID, "campaign-button").click()
        WebDriverWait(driver, 60).until(EC.visibility_of_element_located((By.ID, "campaign-export")))
        assert "1 件取り込み" in driver.find_element(By.ID, "campaign-progress").text
        _screenshot(driver, "05-ats-import")

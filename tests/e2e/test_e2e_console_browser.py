"""The recruiter console in a real (headless) Chromium: login → search → profile → scout → reply visible."""

import shutil
import tempfile

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tsunagu_tools.demo.cast import new_cast, register_student, seed_companies, wait_until_recruiter_may_search
from tsunagu_tools.stack import Api, StackUrls, Tokens, eventually

pytestmark = pytest.mark.slow
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@pytest.fixture
def browser():
    if not shutil.which("chromium") or not shutil.which("chromedriver"):
        pytest.fail("Chromium is not installed: run scripts/install_browser.sh")
    profile = tempfile.mkdtemp(prefix="tsunagu-chromium-")
    options = webdriver.ChromeOptions()
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                 f"--user-data-dir={profile}"):
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


async def test_a_recruiter_searches_scouts_and_sees_the_reply_in_the_console(e2e_stack, browser):
    urls, tokens, cast = StackUrls.from_env(e2e_stack.env), Tokens(), new_cast()
    company, student = cast.company("A"), cast.person("aoi")
    async with httpx.AsyncClient() as client:
        api = Api(urls, client)
        await seed_companies(api, tokens, cast)
        await register_student(api, tokens, student)
        await wait_until_recruiter_may_search(api, tokens, company)

        driver = browser
        driver.get(e2e_stack.url("console"))
        assert "Development login" in driver.find_element(By.ID, "login-section").text
        driver.find_element(By.ID, "login-recruiter").send_keys(company.recruiter_id)
        driver.find_element(By.ID, "login-company").send_keys(company.company_id)
        driver.find_element(By.ID, "login-button").click()
        _wait_text(driver, "who", company.name)

        # An API error is shown with the API's own detail: a scout whose reason is too short.
        driver.find_element(By.ID, "search-industry").send_keys("robotics")
        driver.find_element(By.ID, "search-button").click()
        row = WebDriverWait(driver, 20).until(EC.presence_of_element_located(
            (By.CSS_SELECTOR, f'li[data-candidate="{student.candidate_id}"] button.open-profile')))
        row.click()
        _wait_text(driver, "profile-name", student.name)
        driver.find_element(By.ID, "scout-reason").send_keys("短い")
        driver.find_element(By.ID, "scout-button").click()
        WebDriverWait(driver, 20).until(EC.visibility_of_element_located((By.ID, "error")))
        assert "Error 422" in driver.find_element(By.ID, "error").text

        reason = driver.find_element(By.ID, "scout-reason")
        reason.clear()
        reason.send_keys("ロボット制御の自主制作を拝見し、当社の開発チームでぜひ一緒に働きたいと思いました。")
        driver.find_element(By.ID, "scout-button").click()
        _wait_text(driver, "notice", "Scout sent")
        assert not driver.find_element(By.ID, "error").is_displayed()

        # The student answers through the messaging API (the student app is not part of this console).
        her = tokens.candidate(student.candidate_id)

        async def thread():
            threads = await api.json("GET", "messaging", "/threads", token=her)
            return next((t for t in threads if t["company_id"] == company.company_id), None)

        opened = await eventually(thread, what="the thread the scout opened")
        reply = "ご連絡ありがとうございます。ぜひ詳しくお話を伺いたいです。"
        await api.call("POST", "messaging", f"/threads/{opened['thread_id']}/messages", token=her,
                       json={"body": reply})

        driver.find_element(By.ID, "threads-refresh").click()
        _wait_text(driver, "threads", reply)
        assert f"Student: {reply}" in driver.find_element(By.ID, "threads").text

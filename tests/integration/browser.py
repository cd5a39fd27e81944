#!/usr/bin/python3
"""The set-password page in a real browser: headless Chromium driven by
Selenium (Debian's chromium, chromium-driver and python3-selenium; nothing
is fetched from the network).

  browser.py LINK TOO_SHORT GOOD

Opens LINK as the person would from the message, checks the page (its
stylesheet loaded under the page's Content-Security-Policy, labels on the
fields), submits TOO_SHORT twice and expects the policy's words in the
error summary, submits GOOD and expects the confirmation, then opens LINK
again and submits GOOD: the page must say that the link was already used.
Prints one line per step; exits 1 at the first step that fails.
"""
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait


def step(ok, what):
    print(("ok: " if ok else "FAIL: ") + what, flush=True)
    if not ok:
        sys.exit(1)


def fill(driver, password, confirm):
    """Submits the form and waits for the answer's page: until the form's
    page is gone, an element found would be the old page's."""
    for field, value in (("password", password), ("confirm", confirm)):
        el = driver.find_element(By.ID, field)
        el.clear()
        el.send_keys(value)
    old = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(driver, 15).until(expected_conditions.staleness_of(old))


def main():
    link, too_short, good = sys.argv[1], sys.argv[2], sys.argv[3]
    opts = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--no-first-run", "--disable-extensions", "--lang=en-US"):
        opts.add_argument(arg)
    opts.binary_location = "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    driver.implicitly_wait(5)
    try:
        driver.get(link)
        step(driver.title == "Choose your password", "the form opens: " + driver.title)
        for field in ("password", "confirm"):
            label = driver.find_element(By.CSS_SELECTOR, "label[for=%s]" % field)
            el = driver.find_element(By.ID, field)
            step(label.text and el.get_attribute("autocomplete") == "new-password",
                 "field %s has a label (%s) and autocomplete=new-password" % (field, label.text))
        width = driver.execute_script("return getComputedStyle(document.querySelector('main')).maxWidth")
        step(width == "512px", "the stylesheet applies under the CSP (main max-width %s)" % width)
        scripts = driver.find_elements(By.TAG_NAME, "script")
        step(not scripts, "the page has no script")

        fill(driver, too_short, too_short)
        alert = driver.find_element(By.CSS_SELECTOR, "[role=alert]")
        step("too short" in alert.text, "a too-short password is refused in words: " + alert.text.replace("\n", " / "))
        step(driver.find_element(By.ID, "password").get_attribute("aria-invalid") == "true",
             "the field is marked invalid")

        fill(driver, good, good)
        h1 = driver.find_element(By.TAG_NAME, "h1").text
        step(h1 == "Your password is set", "a good password is set: " + h1)

        driver.get(link)
        fill(driver, good, good)
        h1 = driver.find_element(By.TAG_NAME, "h1").text
        step(h1 == "This link was already used", "the link again: " + h1)
    finally:
        driver.quit()
    return 0


sys.exit(main())

"""Without xdist the single process gets one clone; `edge_profile` says where it is."""

from selenium.webdriver.common.by import By


def test_signed_in(edge_driver, site):
    edge_driver.get(f"{site.url}/account")
    assert edge_driver.find_element(By.ID, "account").text == "Signed in as alice"


def test_the_clone_is_this_process_own(edge_profile):
    # <clone root>/run-<random>/workers/main: the single process's clone, removed when the run ends
    assert edge_profile.user_data_dir.parent.name == "workers" and edge_profile.user_data_dir.name == "main"
    assert edge_profile.verification.as_dict() == {"files": "passed", "capabilities": "passed"}

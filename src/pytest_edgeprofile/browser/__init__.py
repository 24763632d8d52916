"""The browser side: finding the browser and its driver, building its options, starting it on a clone."""

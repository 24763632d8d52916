"""What a daily profile holds besides the signed-in state, by path below the user data dir: what a copy leaves out,
what it keeps, and what it must never take (tests/profile/conftest.py's ``daily_base`` writes these files)."""

from __future__ import annotations

# Caches, crash reports and a second profile: left out of every copy.
CACHES = (
    "Default/Cache/Cache_Data/f_000001",
    "Default/Code Cache/js/index",
    "Default/GPUCache/data_0",
    "Default/DawnGraphiteCache/data_0",
    "Default/Service Worker/CacheStorage/abc/index",
    "Default/Service Worker/ScriptCache/index",
    "Default/optimization_guide_hint_cache_store/000001.log",
    "Default/blob_storage/x/1",
    "Default/Sessions/Session_1",
    "Default/Sessions_Encrypted/Session_1",
    "Crashpad/pending/report.dmp",
    "GrShaderCache/data_0",
    "ShaderCache/data_0",
    "component_crx_cache/x.crx",
    "Profile 1/Preferences",
    "Profile 1/Cookies",
)
# Kept in every copy: the state, settings and stored data a signed-in session needs.
KEPT = (
    "Local State",
    "Default/Preferences",
    "Default/Secure Preferences",
    "Default/Cookies",
    "Default/Cookies-journal",
    "Default/Login Data",
    "Default/Web Data",
    "Default/Service Worker/Database/000003.log",
    "Default/IndexedDB/http_127.0.0.1_0.indexeddb.leveldb/000003.log",
)
# Locks, singleton files and the DevTools port file a running browser leaves: never copied.
NEVER = ("SingletonLock", "SingletonSocket", "SingletonCookie", "DevToolsActivePort", "Default/LOCK")
CACHE_BYTES = 64 * 1024  # each cache file's size

"""The OpenRosa edge: ODK Collect, Enketo and ODK Web Forms as clients (DESIGN: OpenRosa).

``views`` holds the blueprint under ``/openrosa/key/<device token>``, ``replies`` the XML
answers and headers every OpenRosa URL gives (errors included), ``logs`` keeps the token out of
every log line.
"""

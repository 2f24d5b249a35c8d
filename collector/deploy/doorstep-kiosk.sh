#!/bin/sh
# Open the collector full screen once it answers. Started at login by doorstep-kiosk.desktop.
# Private (incognito) so the browser keeps no history or autofill of residents' answers.
URL="${DOORSTEP_KIOSK_URL:-http://127.0.0.1:8470/}"
for _ in $(seq 1 90); do
  curl -fsS "${URL%/}/api/v1/health" >/dev/null 2>&1 && break
  sleep 2
done
BROWSER="$(command -v chromium-browser || command -v chromium)"
exec "$BROWSER" --kiosk --incognito --noerrdialogs --disable-infobars --no-first-run \
  --disable-session-crashed-bubble --disable-features=Translate,TouchpadOverscrollHistoryNavigation \
  --disable-pinch --overscroll-history-navigation=0 --password-store=basic \
  --check-for-update-interval=31536000 "$URL"

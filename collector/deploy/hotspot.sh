#!/bin/sh
# Make the Pi a Wi-Fi hotspot for volunteers' phones (Raspberry Pi OS Bookworm, NetworkManager).
# Usage: sudo ./hotspot.sh "doorstep-abbey" "a long passphrase of 8+ characters"
# Phones then join that network and open http://192.168.4.1:8470/
set -eu
SSID="${1:?give the network name}"
PASS="${2:?give a passphrase of at least 8 characters}"
nmcli connection delete doorstep-hotspot >/dev/null 2>&1 || true
nmcli connection add type wifi ifname wlan0 con-name doorstep-hotspot autoconnect yes \
  ssid "$SSID" mode ap 802-11-wireless.band bg \
  ipv4.method shared ipv4.addresses 192.168.4.1/24 ipv6.method disabled \
  wifi-sec.key-mgmt wpa-psk wifi-sec.proto rsn wifi-sec.pairwise ccmp wifi-sec.psk "$PASS" \
  connection.autoconnect-priority 100
nmcli connection up doorstep-hotspot
echo "hotspot $SSID is up: phones open http://192.168.4.1:8470/"

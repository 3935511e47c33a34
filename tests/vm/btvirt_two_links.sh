# SPDX-License-Identifier: GPL-2.0-or-later
# Why live_run.sh gives the IMU's controller a placeholder link: btvirt
# (BlueZ 5.66's emulator) numbers each controller's connections on its own,
# lowest free handle from 42, but tells both ends the central's handle. A
# central that already holds a link (42) and connects to a peripheral that
# holds none gets handle 43 while the peripheral's controller files the
# link under 42: the peripheral's host is told 43, its first command on 43
# (LE Read Remote Used Features) fails with Unknown Connection Identifier
# and it drops the link, while the central believes it is up.
#
# Plain LE L2CAP channels (l2test, no hamstride program) on fresh
# controllers each time: hci2 connects to hci0 and then to hci1 (hci1 never
# accepts); hci5 connects to hci3 and then to hci4 after hci6 has taken
# handle 42 on hci4 (hci4 accepts). Run it with
#   tests/vm/vm.py --guest-program l2test tests/vm/btvirt_two_links.sh
. /lib.sh

PSM=128
logs() { tail -n 5 /tmp/server*.log /tmp/client*.log; }

[ -x /bin/btmon ] && { btmon >/out/btmon.txt 2>&1 & sleep 0.5; }
step btvirt 15 start_btvirt 7 || fail "btvirt"
for i in 0 1 2 3 4 5 6; do
	mgmt "$i" power on >/dev/null || fail "power hci$i"
done

address() { # INDEX
	mgmt "$1" info | sed -n 's/^[[:space:]]*addr \([0-9A-F:]*\).*/\1/p'
}
advertise() { # INDEX: the emulator reports an advertiser once per enable
	mgmt "$1" connectable on >/dev/null
	mgmt "$1" advertising on >/dev/null
}
accepted() { # INDEX [COUNT]: until hciINDEX's server has accepted COUNT links
	until [ "$(grep -c 'Connected to' "/tmp/server$1.log" 2>/dev/null)" -ge "${2:-1}" ]; do
		sleep 0.2
	done
}
serve() { # INDEX: an LE L2CAP server on hciINDEX
	l2test -r -V le_public -P "$PSM" -i "hci$1" >"/tmp/server$1.log" 2>&1 &
}
link() { # CENTRAL PERIPHERAL: a silent LE L2CAP link, kept open
	advertise "$2"
	l2test -n -V le_public -P "$PSM" -i "hci$1" "$(address "$2")" >>"/tmp/client$1.log" 2>&1 &
}

for i in 0 1 3 4; do
	serve "$i"
done
sleep 0.5

echo "== as is: hci2 -> hci0, then hci2 -> hci1"
link 2 0
step hci0-accepts 10 accepted 0 || { logs; fail "hci0 accepted no link"; }
link 2 1
if step hci1-accepts 10 accepted 1; then as_is=accepted; else as_is=refused; fi
echo "second link as is: $as_is"

echo "== hci6 -> hci4 first (hci4's handle 42 taken), then hci5 -> hci3, hci5 -> hci4"
link 6 4
step placeholder 10 accepted 4 || { logs; fail "the placeholder link did not come up"; }
link 5 3
step hci3-accepts 10 accepted 3 || { logs; fail "hci3 accepted no link"; }
link 5 4
if step hci4-accepts 10 accepted 4 2; then placeheld=accepted; else placeheld=refused; fi
echo "second link with a placeholder: $placeheld"
grep -H "Connected to\|handle" /tmp/server*.log /tmp/client*.log
[ "$as_is" = refused ] && [ "$placeheld" = accepted ]

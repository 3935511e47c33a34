// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target for the LE Advertising Report parser (ble/hci_scan.h),
 * what 'hamstride sensors scan' reads from any advertiser in range: the
 * input is one packet as read from the HCI socket. Each report's data
 * then goes through the advertising data parser, as the scan table does.
 * Checked: a refused packet leaves the reports untouched; every report's
 * data lies inside the packet.
 */
#include <errno.h>

#include "ble/hci_scan.h"
#include "decode/adv.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hci_scan_report r[HCI_SCAN_MAX_REPORTS];
	memset(r, FUZZ_POISON, sizeof(r));
	int n = hci_scan_parse_event(data, size, r);
	if (n < 0) {
		FUZZ_CHECK(n == -EBADMSG);
		FUZZ_CHECK(fuzz_untouched(r, sizeof(r)));
		return 0;
	}
	FUZZ_CHECK(n <= HCI_SCAN_MAX_REPORTS);
	for (int i = 0; i < n; i++) {
		FUZZ_CHECK(r[i].addr_type <= 1);
		FUZZ_CHECK(r[i].data_len == 0 ||
			   (r[i].data >= data && r[i].data + r[i].data_len <= data + size));
		struct adv_data adv;
		const char *why;
		if (adv_parse(r[i].data, r[i].data_len, &adv, &why))
			(void)adv_suggest_role(&adv);
	}
	return 0;
}

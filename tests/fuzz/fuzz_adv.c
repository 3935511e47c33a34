// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target for LE advertising data (decode/adv.h): the input is an
 * advertisement and, after the first 31 bytes, a scan response merged
 * into it, as the scanner sees them. Checked: refused leaves the output
 * untouched and says why; parsed data keep within their arrays, the name
 * is terminated, and merging never loses a service or overflows.
 */
#include "decode/adv.h"
#include "fuzz.h"

/* A legacy advertisement's payload. */
#define ADV_LEGACY_LEN 31

static bool parse_checked(const uint8_t *v, size_t len, struct adv_data *out)
{
	const char *why = NULL;
	memset(out, FUZZ_POISON, sizeof(*out));
	if (!adv_parse(v, len, out, &why)) {
		FUZZ_CHECK(fuzz_untouched(out, sizeof(*out)));
		FUZZ_CHECK(why != NULL && why[0] != '\0');
		return false;
	}
	FUZZ_CHECK(out->service_count <= ADV_MAX_SERVICES);
	FUZZ_CHECK(out->service_data_count <= ADV_MAX_SERVICE_DATA);
	FUZZ_CHECK(memchr(out->name, '\0', sizeof(out->name)) != NULL);
	for (size_t i = 0; i < out->service_count; i++) {
		FUZZ_CHECK(out->services[i].len == 2 || out->services[i].len == 4 ||
			   out->services[i].len == 16);
		FUZZ_CHECK(adv_has_service(out, &out->services[i]));
	}
	for (size_t i = 0; i < out->service_data_count; i++)
		FUZZ_CHECK(out->service_data[i].len <= ADV_SERVICE_DATA_MAX_LEN);
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t first = size < ADV_LEGACY_LEN ? size : ADV_LEGACY_LEN;
	struct adv_data adv, response;
	if (!parse_checked(data, first, &adv))
		return 0;
	(void)adv_suggest_role(&adv);
	if (!parse_checked(data + first, size - first, &response))
		return 0;
	size_t before = adv.service_count;
	adv_merge(&adv, &response);
	FUZZ_CHECK(adv.service_count >= before && adv.service_count <= ADV_MAX_SERVICES);
	FUZZ_CHECK(adv.service_data_count <= ADV_MAX_SERVICE_DATA);
	FUZZ_CHECK(memchr(adv.name, '\0', sizeof(adv.name)) != NULL);
	for (size_t i = 0; i < response.service_count; i++)
		FUZZ_CHECK(adv_has_service(&adv, &response.services[i]) ||
			   adv.service_count == ADV_MAX_SERVICES);
	const char *role = adv_suggest_role(&adv);
	for (size_t i = 0; i < adv.service_count; i++)
		(void)adv_service_name(&adv.services[i]);
	(void)role;
	return 0;
}

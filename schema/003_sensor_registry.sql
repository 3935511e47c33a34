-- SPDX-License-Identifier: GPL-2.0-or-later
-- The runner's own sensors (`hamstride sensors add`): the daemon connects
-- to every sensor with added_us set, by address, in the role given
-- ("footpod", "imu-left", "imu-right", "hrm", "baro"). Sensors only seen in
-- replayed or simulated data keep added_us NULL. Removing a sensor clears
-- added_us and role; its data stay.
ALTER TABLE sensors ADD COLUMN added_us INTEGER;

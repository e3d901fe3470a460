package palisade.tests.main

import data.palisade.fixtures as fx

test_valid_dedicated_tenant_passes if {
	count(fx.violations) == 0 with input as fx.dedicated
}

test_valid_shared_tenant_passes if {
	count(fx.violations) == 0 with input as fx.shared
}

test_entry_point_gathers_the_rule_packages if {
	inp := fx.without_object(fx.shared, 0, "ResourceQuota", "tenant-quota")
	some v in data.palisade.violations with input as inp
	v.id == "isolation.quota"
}

package palisade.tests.lib

import data.palisade.lib

test_cron_interval if {
	lib.cron_interval("0 */6 * * *") == 21600
	lib.cron_interval("0 0 */6 * * *") == 21600
	lib.cron_interval("0 2 * * *") == 86400
	lib.cron_interval("30 1,13 * * *") == 43200
	lib.cron_interval("*/5 * * * *") == 300
	lib.cron_interval("* * * * *") == 60
	lib.cron_interval("15 * * * *") == 3600
	lib.cron_interval("5/20 * * * *") == 1200
	lib.cron_interval("0 8-18/2 * * *") == 50400
	lib.cron_interval("0 4 * * 6") == 604800
	lib.cron_interval("0 6 * * 1-5") == 259200
	lib.cron_interval("0 6 * * 0,7") == 604800
	lib.cron_interval("0 0 1 * *") == 2678400
	lib.cron_interval("0 0 1 1 *") == 31622400
	not lib.cron_interval("@daily")
	not lib.cron_interval("0 6 * * MON")
}

test_durations_and_quantities if {
	lib.duration_seconds("5m") == 300
	lib.duration_seconds("24h") == 86400
	lib.duration_seconds("30d") == 2592000
	lib.quantity("500m") == 0.5
	lib.quantity("2Gi") == 2147483648
	lib.quantity(3) == 3
}

test_images if {
	lib.repository("registry.example:5000/odoo/enterprise:18.0") == "registry.example:5000/odoo/enterprise"
	lib.repository("registry.example/odoo/enterprise:18.0@sha256:abc") == "registry.example/odoo/enterprise"
	lib.pinned(concat("", ["r.example/a@sha256:", concat("", ["0" | some _ in numbers.range(1, 64)])]))
	not lib.pinned("r.example/a:1.0")
}

test_kinds_from_the_engine if {
	inp := {"environments": [{"kinds": {"Deployment": [1]}, "objects": [{"kind": "Service"}, {"kind": "Deployment", "metadata": {"name": "d"}}]}]}
	lib.objects_of(0, "Deployment") == [{"kind": "Deployment", "metadata": {"name": "d"}}] with input as inp
}

test_own_or_platform_namespace if {
	lib.own_or_platform_namespace({"namespace": "acme-prod"}, "acme-prod")
	lib.own_or_platform_namespace({"namespace": "acme-prod"}, "traefik") with input.platform.namespaces as ["traefik"]
	not lib.own_or_platform_namespace({"namespace": "acme-prod"}, "globex-prod") with input.platform.namespaces as ["traefik"]
}

test_namespaces_from_the_engine if {
	inp := {"environments": [{"namespaces": {"acme-prod": [1]}, "objects": [{"kind": "Service", "metadata": {"namespace": "other"}}, {"kind": "Deployment", "metadata": {"name": "d", "namespace": "acme-prod"}}]}]}
	lib.by_namespace == {0: {"acme-prod": [1]}} with input as inp
}

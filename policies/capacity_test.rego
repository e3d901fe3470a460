package palisade.tests.capacity

import data.palisade.fixtures as fx

with_quota(hard) := fx.set(fx.shared, 0, "ResourceQuota", "tenant-quota", "/spec/hard", hard)

test_capacity_ok if {
	ids := fx.ids with input as fx.dedicated
	count({id | some id in ids; startswith(id, "capacity.")}) == 0
}

test_quota_cpu_exceeded_denied if {
	inp := with_quota({"requests.cpu": "2", "requests.memory": "16Gi", "pods": "20"})
	fx.found("capacity.quota") == [{
		"id": "capacity.quota",
		"severity": "deny",
		"environment": "production",
		"object": {"kind": "ResourceQuota", "namespace": "acme-prod", "name": "tenant-quota"},
		"message": `the workloads request cpu 2.5 in total (replicas × container requests), more than the quota's 2`,
		"remediation": "lower replicas or requests, or raise the tier's cpu quota",
		"path": ["tiers", "shared", "environments", "production", "quota", "cpu"],
	}] with input as inp
}

test_quota_memory_exceeded_denied if {
	inp := with_quota({"requests.cpu": 8, "requests.memory": "4608Mi", "pods": "20"})
	fx.messages("capacity.quota") == {`the workloads request memory 5Gi in total (replicas × container requests), more than the quota's 4608Mi`} with input as inp
}

test_quota_pods_exceeded_denied if {
	inp := with_quota({"requests.cpu": "8", "requests.memory": "16Gi", "pods": "4"})
	fx.messages("capacity.quota") == {`the workloads run 5 pods in total, more than the quota's 4`} with input as inp
}

test_autoscaling_cpu_only_denied if {
	inp := fx.set(fx.shared, 0, "ScaledObject", "odoo-web", "/spec/triggers", [{"type": "cpu", "metadata": {"value": "70"}}, {"type": "memory", "metadata": {"value": "80"}}])
	fx.messages("capacity.autoscaling-signals") == {"ScaledObject/odoo-web scales on cpu and memory only; production scales on latency, queue depth or worker saturation"} with input as inp
}

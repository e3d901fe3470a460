# METADATA
# title: Security baseline
# description: |
#   Containers run as non-root without privilege escalation, drop every
#   capability and set limits; no plaintext Secret is committed; service
#   account tokens are not mounted.
package palisade.rules.security

import data.palisade.lib

# unusual_containers are the keys of the containers that do not have the
# usual restricted shape (non-root, no privilege escalation, every
# capability dropped and none added, cpu and memory limits); only they are
# examined by the container rules below, in one pass over all containers.
unusual_containers := ({key | some key, _ in lib.containers} - usual_containers) | root_containers

usual_containers contains key if {
	some key, c in lib.containers
	object.subset(c.securityContext, restricted_context)
	not c.securityContext.runAsUser == 0
	not c.securityContext.privileged
	not c.securityContext.capabilities.add
	c.resources.limits.cpu
	c.resources.limits.memory
}

# root_containers run as user 0 through their pod's security context.
root_containers contains key if {
	some key, c in lib.containers
	root_pods[[key[0], key[1]]]
	not c.securityContext.runAsUser
}

restricted_context := {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}, "runAsNonRoot": true}

# root_pods are the pods whose security context sets user 0.
root_pods contains key if {
	some key, spec in lib.pods
	spec.securityContext.runAsUser == 0
}

unusual(key) := lib.containers[key]

# --- security.run-as-non-root -------------------------------------------------

violations contains container_violation(
	"security.run-as-non-root", key, c,
	"does not run as non-root (runAsNonRoot true, on the container or its pod)",
	"set securityContext.runAsNonRoot: true and a non-zero runAsUser",
) if {
	some key in unusual_containers
	c := unusual(key)
	not effective(key, c, "runAsNonRoot") == true
}

violations contains container_violation(
	"security.run-as-non-root", key, c,
	"runs as user 0 (root)",
	"set a non-zero runAsUser",
) if {
	some key in unusual_containers
	c := unusual(key)
	effective(key, c, "runAsUser") == 0
}

# effective is a container's security setting: its own, else its pod's.
effective(_, c, field) := c.securityContext[field]

effective(key, c, field) := lib.pods[[key[0], key[1]]].securityContext[field] if {
	not has_field(c, field)
}

has_field(c, field) if _ = c.securityContext[field]

# --- security.privilege-escalation ------------------------------------------------

violations contains container_violation(
	"security.privilege-escalation", key, c,
	"does not set allowPrivilegeEscalation: false",
	"set securityContext.allowPrivilegeEscalation: false",
) if {
	some key in unusual_containers
	c := unusual(key)
	not c.securityContext.allowPrivilegeEscalation == false
}

violations contains container_violation(
	"security.privilege-escalation", key, c,
	"is privileged",
	"remove securityContext.privileged",
) if {
	some key in unusual_containers
	c := unusual(key)
	c.securityContext.privileged == true
}

# --- security.capabilities ------------------------------------------------------------

violations contains container_violation(
	"security.capabilities", key, c,
	"does not drop ALL capabilities",
	"set securityContext.capabilities.drop: [ALL]",
) if {
	some key in unusual_containers
	c := unusual(key)
	not "ALL" in object.get(c, ["securityContext", "capabilities", "drop"], [])
}

violations contains container_violation(
	"security.capabilities", key, c,
	sprintf("adds capability %s", [cap]),
	"add no capabilities beyond NET_BIND_SERVICE",
) if {
	some key in unusual_containers
	c := unusual(key)
	some cap in object.get(c, ["securityContext", "capabilities", "add"], [])
	cap != "NET_BIND_SERVICE"
}

# --- security.limits ----------------------------------------------------------------------

violations contains container_violation(
	"security.limits", key, c,
	sprintf("sets no %s limit", [resource]),
	sprintf("set resources.limits.%s", [resource]),
) if {
	some key in unusual_containers
	c := unusual(key)
	some resource in ["cpu", "memory"]
	not c.resources.limits[resource]
}

# --- security.plaintext-secret ---------------------------------------------------------------

violations contains lib.object_violation(
	"security.plaintext-secret", "deny", env, obj,
	sprintf("%s would commit secret data to git", [lib.describe(obj)]),
	"replace the Secret with an ExternalSecret reading the secret manager",
) if {
	some i, env in input.environments
	some obj in lib.objects_of(i, "Secret")
}

violations contains lib.object_violation(
	"security.plaintext-secret", "deny", env, obj,
	sprintf("platform object %s would commit secret data to git", [lib.describe(obj)]),
	"replace the Secret with an ExternalSecret reading the secret manager",
) if {
	some env in input.environments
	some obj in object.get(env, "platformObjects", [])
	obj.kind == "Secret"
}

# --- security.token-automount ------------------------------------------------------------------

violations contains lib.object_violation(
	"security.token-automount", "deny", env, sa,
	sprintf("%s does not set automountServiceAccountToken: false", [lib.describe(sa)]),
	"set automountServiceAccountToken: false on the ServiceAccount",
) if {
	some i, env in input.environments
	some sa in lib.objects_of(i, "ServiceAccount")
	not sa.automountServiceAccountToken == false
}

violations contains lib.object_violation(
	"security.token-automount", "deny", env, obj,
	sprintf("%s mounts a service-account token (automountServiceAccountToken is not false)", [lib.describe(obj)]),
	"set automountServiceAccountToken: false on the pod template",
) if {
	some key, spec in lib.pods
	not spec.automountServiceAccountToken == false
	env := input.environments[key[0]]
	obj := env.objects[key[1]]
}

container_violation(id, key, c, what, fix) := lib.object_violation(
	id, "deny", env, obj,
	sprintf("%s container %q %s", [lib.describe(obj), c.name, what]),
	fix,
) if {
	env := input.environments[key[0]]
	obj := env.objects[key[1]]
}

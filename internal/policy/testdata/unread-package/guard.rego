# A rule in a package the engine does not read.
package acme.guard

violations contains {"id": "acme.always", "severity": "deny", "message": "always"} if {
	some env in input.environments
	env.class == "production"
}

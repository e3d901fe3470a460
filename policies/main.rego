# METADATA
# title: Palisade governance entry point
# description: |
#   violations gathers the violations of every rule package under
#   palisade.rules, the built-in ones and the user's, into one set. The
#   engine evaluates data.palisade.violations once per tenant.
package palisade

violations contains v if {
	some v in data.palisade.rules[_].violations
}

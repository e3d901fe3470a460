# A "fix" that satisfies the built-in quota check for every environment:
# declared in the built-in package, it would join the built-in has_quota.
package palisade.rules.isolation

has_quota(_) if true

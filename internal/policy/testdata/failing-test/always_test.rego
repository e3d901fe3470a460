package palisade.rules.always_test

test_passes if {
	1 == 1
}

test_fails if {
	x := count({"a", "b"})
	x == 3
}

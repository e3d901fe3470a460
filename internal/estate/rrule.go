package estate

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/teambition/rrule-go"
)

// ParseRRule reads the rule of an RRule window (RFC 5545 RRULE text, an
// "RRULE:" prefix allowed) with UNTIL in loc, as github.com/teambition/rrule-go
// reads it, and checks what rrule-go checks only once a rule is built:
// property values in range (BYMONTH=13, BYDAY=XX). The frequency is one of
// YEARLY, MONTHLY, WEEKLY or DAILY, and DTSTART is not part of the rule
// (the window's start is). The options have no Dtstart; the caller sets it.
func ParseRRule(rule string, loc *time.Location) (*rrule.ROption, error) {
	rule = strings.TrimPrefix(rule, "RRULE:")
	if strings.Contains(rule, "DTSTART") {
		return nil, errors.New("DTSTART is the window's start, not part of the rule")
	}
	opt, err := rrule.StrToROptionInLocation(rule, loc)
	if err != nil {
		return nil, err
	}
	// rrule-go reads a zero COUNT or INTERVAL as none given, which turns
	// a rule meant to recur never into one that recurs for ever.
	for part := range strings.SplitSeq(rule, ";") {
		key, value, _ := strings.Cut(part, "=")
		if n, err := strconv.Atoi(value); err == nil && n <= 0 && (key == "COUNT" || key == "INTERVAL") {
			return nil, fmt.Errorf("%s must be a positive number", key)
		}
	}
	switch opt.Freq {
	case rrule.YEARLY, rrule.MONTHLY, rrule.WEEKLY, rrule.DAILY:
	default:
		return nil, errors.New("FREQ must be YEARLY, MONTHLY, WEEKLY or DAILY")
	}
	trial := *opt
	trial.Dtstart = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := rrule.NewRRule(trial); err != nil {
		return nil, err
	}
	return opt, nil
}

// Package caldate provides Date, a calendar day without time or zone, as the
// law counts deadlines and as a secretary writes the date of a hearing.
package caldate

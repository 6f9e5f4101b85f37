// Package deadline computes the legal deadlines of citizens' appeals from rules and a holiday calendar kept as data in assets/law, because periods and non-working days change by law and decree on dates of their own and must switch by date without a new release of code.
package deadline

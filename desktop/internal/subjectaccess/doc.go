// Package subjectaccess answers a person's request for their own data (Law
// No. 58 "On personal information"): it gathers what the client core holds
// about one person and makes a document of it, in the person's language, as
// JSON and as a printable PDF.
package subjectaccess

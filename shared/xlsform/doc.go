// Package xlsform reads questionnaires written as XLSForm (the survey,
// choices and settings sheets of ODK and KoboToolbox) and checks responses
// against them, the same way in the desktop app, keneshctl and the server.
//
// Supported: the types text, integer (int), decimal, date, select_one
// LIST, select_multiple LIST, note, begin group / end group; the columns
// type, name, label, hint, required, required_message, constraint,
// constraint_message, relevant, choice_filter and appearance, with texts
// in Kyrgyz, Russian and English (label::Kyrgyz (ky), label::ru,
// label::English ...); the choices sheet's list_name, name, label and any
// other columns choice filters compare; the settings sheet's form_id,
// version, form_title and default_language. Rows of ODK's metadata types
// (start, end, today, deviceid, username, ...) are skipped: Kenesh records
// who filled a response and when itself. Other sheets and columns that do
// not change what a form asks (Kobo's $kuid, media, guidance hints) are
// ignored.
//
// Expressions (required, constraint, relevant, choice_filter) are a subset
// of XLSForm's: see expr.go and Functions. Anything else (other types,
// repeats, calculations, other functions, paths, other languages) is
// refused with its sheet, row and column (Error).
package xlsform

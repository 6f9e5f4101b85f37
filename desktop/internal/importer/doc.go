// Package importer reads the appeals and events councils kept in
// spreadsheets before Kenesh (CSV or XLSX, heads in Kyrgyz, Russian or
// English or named by a mapping file, days as councils write them, text in
// UTF-8 or Windows-1251) and saves them as ordinary records: checked as
// any save, all or nothing, each remembering its file, row and digest so
// that the same rows imported again add nothing.
package importer

// Package public is the side of the sync server that faces everyone: the
// register of published appeals (list, appeal pages, statistics, open data
// and a feed), the citizens' form and the tracking pages, in Kyrgyz,
// Russian and English, as plain HTML without JavaScript or cookies. It
// reads the public projection alone (store.Public), never the records.
package public

// Package demo fills a store with realistic records — Kyrgyz and Russian
// text, every oblast, every status reached through real workflow steps — for
// demonstrations, screenshots and benchmarks.
package demo

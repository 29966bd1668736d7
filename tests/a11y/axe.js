#!/usr/bin/env node
// Run axe-core on one HTML file in headless Chromium, every <details> open, and print the
// violations as JSON on stdout: [{id, impact, help, nodes: [{target, summary}]}].
// Usage: node axe.js REPORT.html [CHROMIUM]   (tests/test_accessibility.py runs it)
'use strict';

const path = require('path');
const { pathToFileURL } = require('url');
const axe = require('axe-core');
const puppeteer = require('puppeteer-core');

// WCAG 2.0, 2.1 and 2.2, levels A and AA.
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

async function main() {
  const [file, executablePath = '/usr/bin/chromium'] = process.argv.slice(2);
  const browser = await puppeteer.launch({
    executablePath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
           '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    // The report may only load data: URIs; anything else would be a bug worth failing on.
    await page.setRequestInterception(true);
    const refused = [];
    page.on('request', (request) => {
      const url = request.url();
      if (url.startsWith('data:') || url.startsWith('file:')) request.continue();
      else { refused.push(url); request.abort(); }
    });
    await page.goto(pathToFileURL(path.resolve(file)).href, { waitUntil: 'load' });
    // The report's CSP forbids scripts; axe is evaluated through the DevTools protocol, which the
    // page's CSP does not govern, so the page itself stays unchanged.
    await page.evaluate(axe.source);
    const results = await page.evaluate(async (tags) => {
      document.querySelectorAll('details').forEach((d) => { d.open = true; });
      return await window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    }, TAGS);
    const violations = results.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary })),
    }));
    process.stdout.write(JSON.stringify({ axe: results.testEngine.version, refused, violations }, null, 1) + '\n');
  } finally {
    await browser.close();
  }
}

main().catch((error) => { console.error(String(error && error.stack || error)); process.exit(2); });

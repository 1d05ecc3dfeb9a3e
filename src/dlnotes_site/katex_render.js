// Render TeX with KaTeX for the site build (dlnotes_site/math.py).
// argv[2]: path of the katex package. stdin: JSON [[tex, displayMode], ...].
// stdout: JSON [{"html": ...} | {"error": ...}, ...] in the same order.
const katex = require(process.argv[2]);
let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const results = JSON.parse(input).map(([tex, displayMode]) => {
    try {
      return { html: katex.renderToString(tex, { displayMode, throwOnError: true, strict: "ignore" }) };
    } catch (err) {
      return { error: String(err.message || err) };
    }
  });
  process.stdout.write(JSON.stringify(results));
});

/// The fixed parts of the HTML report: style, layout and the script that renders the embedded
/// report. Nothing here loads anything: the Content-Security-Policy allows inline style and
/// script only, and the download is a `blob:` URL the page makes itself.
enum HTMLPage {
    static func head(title: String) -> String {
        """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
        <title>\(title)</title>
        <style>\(style)</style>
        </head>
        <body>
        <header><h1>\(title)</h1><p id="summary"></p><p id="selection"></p></header>
        <noscript><p>This page needs JavaScript to show the report. The same report as text: <code>dupelink report</code>; as JSON: <code>dupelink report --format json</code>.</p></noscript>
        <main>
        <section id="space"><h2>Where the space is</h2><div id="chart"></div></section>
        <section id="folders"><h2>Duplicate folders</h2><div id="folder-list"></div></section>
        <section id="review"><h2>Classes of identical files</h2>
        <div id="controls">
        <label>Path contains <input id="filter-path" type="search" placeholder="e.g. Photos/2019" autocomplete="off"></label>
        <label>Files of at least <input id="filter-size" type="text" placeholder="e.g. 1M" size="8" autocomplete="off"></label>
        <button id="select-shown" type="button">Select shown</button>
        <button id="unselect-shown" type="button">Unselect shown</button>
        <button id="download" type="button">Download plan (JSON)</button>
        </div>
        <p id="shown-count"></p>
        <div id="classes"></div>
        <button id="more" type="button" hidden>Show more</button>
        </section>
        </main>
        <footer><p>Apply the downloaded plan with <code>dupelink link --from dupelink-plan.json</code>: each file is checked again against the fingerprint it had in this scan and compared byte for byte before it is replaced; unselected classes and names are left alone.</p></footer>

        """
    }

    static let style = """
        body{font:14px/1.4 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:0 16px;color:#222;background:#fff}
        h1{font-size:20px;word-break:break-all}h2{font-size:17px;margin-top:28px}
        code,.path{font-family:ui-monospace,monospace;font-size:13px}
        #controls{display:flex;flex-wrap:wrap;gap:8px 16px;align-items:center;position:sticky;top:0;background:#fff;padding:8px 0;border-bottom:1px solid #ddd}
        .cls{border:1px solid #ddd;border-radius:4px;margin:8px 0;padding:6px 10px}
        .cls.off{opacity:.55}.cls ul{list-style:none;margin:4px 0 0;padding:0 0 0 22px}
        .cls li{word-break:break-all}.role{color:#666;margin-left:8px;white-space:nowrap}
        .role.k{color:#06753b}.role.x{color:#a33}
        .folders li{margin:4px 0}.folders .path{display:block}
        svg text{font:12px system-ui,sans-serif}svg .bar{fill:#4a7fb5}
        #selection{font-weight:600}
        """

    static let tail = #"""
        <script>
        (function () {
        "use strict";
        var report = JSON.parse(document.getElementById("dupelink-report").textContent);
        var page = JSON.parse(document.getElementById("dupelink-page").textContent);
        var classes = report.classes;
        var BATCH = 100;
        var units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        function size(bytes) {
          if (bytes < 1024) return bytes + " B";
          var value = bytes, unit = 0;
          while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
          return (value < 100 ? (Math.round(value * 10) / 10).toFixed(1) : String(Math.round(value))) + " " + units[unit];
        }
        function parseSize(text) {
          var m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([kmgtp]?)(?:i?b)?\s*$/i.exec(text);
          if (!m) return null;
          var power = " kmgtp".indexOf((m[2] || " ").toLowerCase());
          return Math.round(parseFloat(m[1]) * Math.pow(1024, power));
        }
        function plural(n, one, many) { return n.toLocaleString("en") + " " + (n === 1 ? one : many); }
        // As dupelink prints paths: printable UTF-8 as is, anything else quoted as bash's $'...'.
        function hex(b) { return "\\x" + (b < 16 ? "0" : "") + b.toString(16); }
        function quoteBytes(bytes) {
          var out = "$'", i = 0;
          while (i < bytes.length) {
            var b = bytes[i];
            if (b === 10) out += "\\n"; else if (b === 9) out += "\\t"; else if (b === 13) out += "\\r";
            else if (b === 92) out += "\\\\"; else if (b === 39) out += "\\'";
            else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
            else if (b >= 0xc0) {
              var n = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2, text = null;
              try { text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.slice(i, i + n)); } catch (e) { text = null; }
              if (text !== null && i + n <= bytes.length) { out += text; i += n; continue; }
              out += hex(b);
            } else out += hex(b);
            i++;
          }
          return out + "'";
        }
        function displayPath(value) {
          if (value.pathBase64) {
            var raw = atob(value.pathBase64), bytes = new Uint8Array(raw.length);
            for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
            return quoteBytes(bytes);
          }
          if (/[\u0000-\u001f\u007f]/.test(value.path)) return quoteBytes(new TextEncoder().encode(value.path));
          return value.path;
        }
        function element(tag, attributes, text) {
          var node = document.createElement(tag);
          for (var key in attributes || {}) node.setAttribute(key, attributes[key]);
          if (text !== undefined) node.textContent = text;
          return node;
        }

        var shownPaths = classes.map(function (c) { return c.files.map(displayPath); });
        var lowerPaths = shownPaths.map(function (paths) { return paths.join("\n").toLowerCase(); });
        var classOn = classes.map(function () { return true; });
        var fileOn = classes.map(function (c) { return c.files.map(function () { return true; }); });
        var refusedBecause = {};
        report.refusals.forEach(function (r) { refusedBecause[r.path.pathBase64 || r.path.path] = r.message; });
        var order = classes.map(function (c, i) { return i; });
        order.sort(function (a, b) { return classes[b].reclaimableBytes - classes[a].reclaimableBytes || a - b; });
        var shown = order, rendered = 0;

        function summary() {
          var s = report.summary;
          var text = "Scanned " + plural(s.filesScanned, "file", "files") + " (" + size(s.bytesScanned) + "). ";
          text += s.classes === 0 ? "No duplicates found." :
            "Found " + plural(s.classes, "class", "classes") + " of identical files: " + plural(s.duplicateFiles, "duplicate", "duplicates") +
            ", " + size(s.reclaimableBytes) + " reclaimable by hard-linking.";
          if (s.refusedFiles > 0) text += " " + plural(s.refusedFiles, "file", "files") + " cannot be linked (" + size(s.refusedBytes) + ").";
          document.getElementById("summary").textContent = text;
        }
        function selection() {
          var picked = 0, names = 0, bytes = 0;
          classes.forEach(function (c, i) {
            if (!classOn[i]) return;
            var on = fileOn[i].filter(Boolean).length;
            if (on < 2) return;
            picked++; names += on;
            c.files.forEach(function (f, j) { if (fileOn[i][j]) bytes += page.freed[i][j]; });
          });
          document.getElementById("selection").textContent = "Selected for linking: " + plural(picked, "class", "classes") +
            " of " + classes.length.toLocaleString("en") + ", " + plural(names, "name", "names") + ", about " + size(bytes) + " to free.";
        }

        function chart() {
          var data = page.topDirectories.slice(0, 12), box = document.getElementById("chart");
          if (data.length === 0) { box.textContent = "Linking would free nothing."; return; }
          var ns = "http://www.w3.org/2000/svg", rowHeight = 24, width = 960, labelWidth = 420;
          var svg = document.createElementNS(ns, "svg");
          svg.setAttribute("viewBox", "0 0 " + width + " " + (data.length * rowHeight + 4));
          svg.setAttribute("width", "100%");
          svg.setAttribute("role", "img");
          svg.setAttribute("aria-label", "Bytes linking would free, by top-level directory");
          var most = data[0].bytes || 1;
          data.forEach(function (d, i) {
            var y = i * rowHeight + 2, label = displayPath(d.path);
            if (label.length > 60) label = "\u2026" + label.slice(label.length - 59);
            var text = document.createElementNS(ns, "text");
            text.setAttribute("x", labelWidth - 8); text.setAttribute("y", y + 16); text.setAttribute("text-anchor", "end");
            text.textContent = label;
            var bar = document.createElementNS(ns, "rect");
            var barWidth = Math.max(1, (width - labelWidth - 150) * d.bytes / most);
            bar.setAttribute("class", "bar"); bar.setAttribute("x", labelWidth); bar.setAttribute("y", y + 3);
            bar.setAttribute("width", barWidth); bar.setAttribute("height", rowHeight - 6);
            var value = document.createElementNS(ns, "text");
            value.setAttribute("x", labelWidth + barWidth + 6); value.setAttribute("y", y + 16);
            value.textContent = size(d.bytes) + " \u00b7 " + plural(d.files, "file", "files");
            var title = document.createElementNS(ns, "title");
            title.textContent = displayPath(d.path) + ": " + size(d.bytes);
            bar.appendChild(title);
            svg.appendChild(text); svg.appendChild(bar); svg.appendChild(value);
          });
          box.appendChild(svg);
          if (page.topDirectories.length > data.length) {
            box.appendChild(element("p", {}, "and " + plural(page.topDirectories.length - data.length, "more directory", "more directories") + "."));
          }
        }

        function folders() {
          var box = document.getElementById("folder-list");
          var identical = report.duplicateFolders || [], near = report.nearlyIdenticalFolders || [];
          if (identical.length === 0 && near.length === 0) {
            box.textContent = "No folders are identical or nearly identical (or this report is of a saved scan, which keeps class members only).";
            return;
          }
          if (identical.length) {
            box.appendChild(element("h3", {}, "Identical folders (the same names, every file byte-identical)"));
            var list = element("ul", { "class": "folders" });
            identical.forEach(function (set) {
              var item = element("li", {}, set.paths.length + " folders of " + plural(set.files, "file", "files") + ", " + size(set.bytes) + " each:");
              set.paths.forEach(function (p) { item.appendChild(element("span", { "class": "path" }, displayPath(p))); });
              list.appendChild(item);
            });
            box.appendChild(list);
          }
          if (near.length) {
            box.appendChild(element("h3", {}, "Nearly identical folders (the same but for a few files)"));
            var pairs = element("ul", { "class": "folders" });
            near.forEach(function (pair) {
              var item = element("li", {}, plural(pair.matchingFiles, "file matches", "files match") + " (" + size(pair.matchingBytes) + "); " +
                pair.onlyInFirst + " of the first and " + pair.onlyInSecond + " of the second have no match in the other:");
              pair.paths.forEach(function (p) { item.appendChild(element("span", { "class": "path" }, displayPath(p))); });
              pairs.appendChild(item);
            });
            box.appendChild(pairs);
          }
        }

        var done = report.command !== "scan" && !report.dryRun;
        var roleText = { k: done ? "kept" : "would be kept", r: done ? "linked" : "would be linked", "-": "another name of a kept file" };
        function classBlock(i) {
          var c = classes[i], block = element("section", { "class": "cls" + (classOn[i] ? "" : " off"), "data-class": i });
          var head = element("label", { "class": "head" });
          var box = element("input", { type: "checkbox", "class": "class-box", "data-class": i });
          box.checked = classOn[i];
          var on = fileOn[i].filter(Boolean).length;
          box.indeterminate = classOn[i] && on > 0 && on < c.files.length;
          head.appendChild(box);
          head.appendChild(document.createTextNode(" " + plural(c.files.length, "file", "files") + " of " + size(c.size) + ", " + size(c.reclaimableBytes) + " reclaimable"));
          block.appendChild(head);
          var list = element("ul");
          c.files.forEach(function (f, j) {
            var item = element("li"), label = element("label");
            var fileBox = element("input", { type: "checkbox", "class": "file-box", "data-class": i, "data-file": j, "data-path": shownPaths[i][j] });
            fileBox.checked = fileOn[i][j];
            label.appendChild(fileBox);
            label.appendChild(document.createTextNode(" "));
            label.appendChild(element("span", { "class": "path" }, shownPaths[i][j]));
            var role = page.roles[i].charAt(j), why = refusedBecause[f.pathBase64 || f.path];
            var note = role === "x" ? "not linked: " + (why || "refused") : roleText[role];
            if (note) label.appendChild(element("span", { "class": "role " + role }, note));
            item.appendChild(label);
            list.appendChild(item);
          });
          block.appendChild(list);
          return block;
        }
        function renderMore() {
          var box = document.getElementById("classes"), end = Math.min(shown.length, rendered + BATCH);
          var fragment = document.createDocumentFragment();
          for (; rendered < end; rendered++) fragment.appendChild(classBlock(shown[rendered]));
          box.appendChild(fragment);
          document.getElementById("more").hidden = rendered >= shown.length;
        }
        function applyFilter() {
          var needle = document.getElementById("filter-path").value.toLowerCase();
          var sizeText = document.getElementById("filter-size").value, least = sizeText.trim() ? parseSize(sizeText) : 0;
          document.getElementById("filter-size").style.outline = least === null ? "2px solid #a33" : "";
          shown = order.filter(function (i) {
            return (least === null || classes[i].size >= least) && (!needle || lowerPaths[i].indexOf(needle) >= 0);
          });
          document.getElementById("shown-count").textContent = shown.length === classes.length ?
            "All " + plural(classes.length, "class", "classes") + ", most reclaimable first." :
            plural(shown.length, "class matches", "classes match") + " of " + classes.length.toLocaleString("en") + ".";
          var list = document.getElementById("classes");
          list.textContent = "";
          list.dataset.filter = needle;
          rendered = 0;
          renderMore();
        }
        function refreshBlock(i) {
          var old = document.querySelector('section.cls[data-class="' + i + '"]');
          if (old) old.replaceWith(classBlock(i));
          selection();
        }
        document.getElementById("classes").addEventListener("change", function (event) {
          var target = event.target, i = Number(target.getAttribute("data-class"));
          if (target.classList.contains("class-box")) {
            classOn[i] = target.checked;
            if (target.checked && fileOn[i].every(function (on) { return !on; })) fileOn[i] = fileOn[i].map(function () { return true; });
          } else if (target.classList.contains("file-box")) {
            fileOn[i][Number(target.getAttribute("data-file"))] = target.checked;
          }
          refreshBlock(i);
        });
        function setShown(on) {
          shown.forEach(function (i) { classOn[i] = on; fileOn[i] = fileOn[i].map(function () { return true; }); });
          document.getElementById("classes").textContent = "";
          var keep = rendered; rendered = 0;
          while (rendered < keep && rendered < shown.length) renderMore();
          selection();
        }
        document.getElementById("select-shown").addEventListener("click", function () { setShown(true); });
        document.getElementById("unselect-shown").addEventListener("click", function () { setShown(false); });
        var pending = null;
        // window.dupelinkPending: a filter typed but not applied yet (for the browser test).
        function later() {
          clearTimeout(pending);
          window.dupelinkPending = true;
          pending = setTimeout(function () { window.dupelinkPending = false; applyFilter(); }, 120);
        }
        document.getElementById("filter-path").addEventListener("input", later);
        document.getElementById("filter-size").addEventListener("input", later);
        document.getElementById("more").addEventListener("click", renderMore);
        if ("IntersectionObserver" in window) {
          new IntersectionObserver(function (entries) {
            if (entries.some(function (e) { return e.isIntersecting; })) renderMore();
          }, { rootMargin: "600px" }).observe(document.getElementById("more"));
        }

        // The reviewed plan: this report with unselected classes and names left out, and with
        // nothing that no longer describes it (folders, replacements). `link --from` checks it.
        function plan() {
          var out = {};
          for (var key in report) if (key !== "duplicateFolders" && key !== "nearlyIdenticalFolders" && key !== "replacements") out[key] = report[key];
          out.classes = [];
          classes.forEach(function (c, i) {
            if (!classOn[i]) return;
            var files = c.files.filter(function (f, j) { return fileOn[i][j]; });
            if (files.length < 2) return;
            var copy = {};
            for (var key in c) copy[key] = c[key];
            copy.files = files;
            out.classes.push(copy);
          });
          return out;
        }
        document.getElementById("download").addEventListener("click", function () {
          var blob = new Blob([JSON.stringify(plan(), null, 2) + "\n"], { type: "application/json" });
          var link = element("a", { href: URL.createObjectURL(blob), download: "dupelink-plan.json" });
          document.body.appendChild(link);
          link.click();
          setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
        });

        summary();
        selection();
        chart();
        folders();
        applyFilter();
        window.dupelinkReady = true;
        })();
        </script>
        </body>
        </html>

        """#
}

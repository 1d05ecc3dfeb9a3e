/* dlnotes: search in the offline copy of the site (opened from file://).
 *
 * Material runs its search index in a Web Worker, and browsers refuse to start a worker from a
 * file:// page. On file:// only, this replaces `Worker` by a stand-in that runs the worker's
 * script in a hidden iframe of the page's own origin: messages to the worker become "message"
 * events on the iframe's window, and what the script posts back becomes "message" events on the
 * stand-in. `importScripts` loads scripts one after another and returns a Promise (the search
 * worker awaits it). The search index itself comes from search/search_index.js, which Material
 * loads with a <script> tag on file:// (dlnotes_site.offline writes it).
 */
(function () {
  "use strict";
  if (location.protocol !== "file:") return;

  function loadScript(doc, src) {
    return new Promise(function (resolve, reject) {
      var script = doc.createElement("script");
      script.src = src;
      script.onload = function () { resolve(); };
      script.onerror = function () { reject(new Error("cannot load " + src)); };
      doc.head.appendChild(script);
    });
  }

  function FrameWorker(url) {
    var target = new EventTarget();
    var frame = document.createElement("iframe");
    var pending = [];
    var ready = false;
    frame.hidden = true;
    frame.title = "search";
    document.body.appendChild(frame);
    var win = frame.contentWindow;
    var doc = win.document;
    var base = new URL(url, location.href);

    // what the worker script posts arrives here
    win.postMessage = function (data) {
      setTimeout(function () {
        target.dispatchEvent(new MessageEvent("message", { data: data }));
      });
    };
    win.importScripts = function () {
      var urls = Array.prototype.slice.call(arguments);
      return urls.reduce(function (done, src) {
        return done.then(function () { return loadScript(doc, new URL(src, base).href); });
      }, Promise.resolve());
    };

    function deliver(data) {
      win.dispatchEvent(new win.MessageEvent("message", { data: data }));
    }

    loadScript(doc, base.href).then(function () {
      ready = true;
      pending.splice(0).forEach(deliver);
    }, function (err) {
      target.dispatchEvent(new ErrorEvent("error", { message: String(err) }));
    });

    target.postMessage = function (data) {
      if (ready) deliver(data); else pending.push(data);
    };
    target.terminate = function () { frame.remove(); };
    return target;
  }

  window.Worker = FrameWorker;
})();

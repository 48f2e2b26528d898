// facegate's charts: read the numbers the page embeds (<script type="application/json" id="chart-data">) and draw
// each <div data-chart="..."> with uPlot (vendored in static/vendor/uplot, MIT). Times are shown in the site's zone.
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || typeof uPlot === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var COLOURS = ["#007bff", "#dc3545", "#28a745", "#fd7e14", "#6f42c1", "#20c997", "#6c757d", "#e83e8c"];
  var bars = uPlot.paths.bars({ size: [0.6, 40] });

  function width(el) { return Math.max(280, el.clientWidth - 16); }

  // Counts get whole-number ticks only.
  var COUNT_AXIS = { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] };

  function categorical(el, title, labels, series, asBars, counts) {
    var x = labels.map(function (_, i) { return i; });
    var opts = {
      title: title, width: width(el), height: 240,
      scales: { x: { time: false, range: [-0.5, Math.max(0.5, labels.length - 0.5)] } },
      axes: [{ values: function (u, ticks) { return ticks.map(function (t) { return labels[t] || ""; }); },
               incrs: [1, 2, 3, 4, 6, 12, 24], space: 40 }, counts ? COUNT_AXIS : {}],
      series: [{ label: "", value: function (u, v) { return v == null ? "" : labels[v]; } }].concat(
        series.map(function (s, i) {
          var colour = COLOURS[i % COLOURS.length];
          return asBars ? { label: s.label, stroke: colour, fill: colour + "99", paths: bars, points: { show: false } }
                        : { label: s.label, stroke: colour, width: 2, points: { show: true, size: 6 } };
        }))
    };
    return new uPlot(opts, [x].concat(series.map(function (s) { return s.values; })), el);
  }

  function presence(el, chart) {
    var zone = data.zone;
    var opts = {
      title: chart.label + " on " + chart.day + " (" + zone + ")", width: width(el), height: 240,
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1e3), zone); },
      axes: [{}, COUNT_AXIS],
      series: [{}, { label: "inside", stroke: "#007bff", fill: "#007bff33", width: 2,
                     paths: uPlot.paths.stepped({ align: 1 }) }],
      scales: { y: { range: function (u, min, max) { return [0, Math.max(1, max)]; } } }
    };
    return new uPlot(opts, [chart.times, chart.inside], el);
  }

  var DRAW = {
    hourly: function (el, c) {
      var hours = c.hours.map(function (h) { return (h < 10 ? "0" : "") + h + ":00"; });
      categorical(el, "Arrivals and departures per hour (" + data.zone + ")", hours,
                  [{ label: "arrivals", values: c.arrivals }, { label: "departures", values: c.departures }], true, true);
    },
    presence: presence,
    inside: function (el, c) {
      categorical(el, c.title, c.labels, [{ label: "hours inside", values: c.hours }], true);
    },
    perDay: function (el, c) {
      var series = Object.keys(c.series).map(function (k) { return { label: k, values: c.series[k] }; });
      if (!series.length) { el.textContent = c.empty; el.className += " empty"; return; }
      categorical(el, c.title, c.days.map(function (d) { return d.slice(5); }), series, false, true);
    }
  };

  Array.prototype.forEach.call(document.querySelectorAll("[data-chart]"), function (el) {
    var chart = data.charts[el.dataset.chart];
    if (chart) { DRAW[chart.kind](el, chart); }
  });
}());

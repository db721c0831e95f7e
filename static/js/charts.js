/* The ECharts charts of the pages, from static code (no inline script under the Content-Security-Policy).
   A chart is an element with data-chart="<kind>" and data-source="<id of a json_script block>"; its
   translated labels come as data-label-* attributes (data-label-households -> labels.households).
   Charts in content swapped in by htmx are drawn too; each element is drawn once. */
(function () {
  "use strict";

  function dataOf(el) {
    var source = document.getElementById(el.getAttribute("data-source"));
    return source ? JSON.parse(source.textContent) : null;
  }

  function labelsOf(el) {
    var out = {};
    Object.keys(el.dataset).forEach(function (key) {
      if (key.indexOf("label") === 0 && key.length > 5) {
        out[key.charAt(5).toLowerCase() + key.slice(6)] = el.dataset[key];
      }
    });
    return out;
  }

  function draw(el, option) {
    var chart = echarts.init(el);
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
    return chart;
  }

  var RED = "#c62828", ORANGE = "#ef6c00", YELLOW = "#fbc02d";

  var kinds = {
    // indices/aggregates.html: H and M0 by region.
    "indices-aggregates": function (el, d) {
      draw(el, {
        tooltip: {trigger: "axis"}, legend: {data: ["H", "M0"]},
        xAxis: {type: "category", data: d.regions, axisLabel: {rotate: 30}}, yAxis: {type: "value"},
        series: [{name: "H", type: "bar", data: d.H}, {name: "M0", type: "bar", data: d.M0}]
      });
    },
    // indices/_household_section.html: one household's indices over time.
    "indices-household": function (el, d, t) {
      draw(el, {
        tooltip: {trigger: "axis"}, legend: {data: [t.hardship, t.development]},
        xAxis: {type: "category", data: d.dates}, yAxis: {type: "value", min: 0, max: 1},
        series: [{name: t.hardship, type: "line", data: d.hardship, connectNulls: false},
                 {name: t.development, type: "line", data: d.development}]
      });
    },
    // alerts/overview.html: open alerts by region.
    "alerts-regions": function (el, d, t) {
      draw(el, {
        title: {text: t.title, textStyle: {fontSize: 14}}, tooltip: {trigger: "axis"},
        legend: {top: 24}, grid: {top: 60}, xAxis: {type: "category", data: d.regions, axisLabel: {rotate: 30}},
        yAxis: {type: "value"},
        series: [{name: t.red, type: "bar", stack: "a", data: d.red, itemStyle: {color: RED}},
                 {name: t.orange, type: "bar", stack: "a", data: d.orange, itemStyle: {color: ORANGE}},
                 {name: t.yellow, type: "bar", stack: "a", data: d.yellow, itemStyle: {color: YELLOW}},
                 {name: t.overdue, type: "line", data: d.overdue}]
      });
    },
    "alerts-outcomes": function (el, d, t) {
      draw(el, {
        title: {text: t.title, textStyle: {fontSize: 14}}, tooltip: {trigger: "item"},
        series: [{type: "pie", radius: "60%", data: d.outcomes}]
      });
    },
    "alerts-months": function (el, d, t) {
      draw(el, {
        title: {text: t.title, textStyle: {fontSize: 14}}, tooltip: {trigger: "axis"},
        xAxis: {type: "category", data: d.months}, yAxis: {type: "value"},
        series: [{name: t.red, type: "line", data: d.month_red, itemStyle: {color: RED}},
                 {name: t.orange, type: "line", data: d.month_orange, itemStyle: {color: ORANGE}},
                 {name: t.yellow, type: "line", data: d.month_yellow, itemStyle: {color: YELLOW}}]
      });
    },
    // dashboards/region.html: every chart of the dashboard from one data block.
    "dashboard": function (el, d, t) {
      function chart(id, option) {
        var node = el.querySelector("#" + id) || document.getElementById(id);
        if (!node) { return null; }
        return draw(node, Object.assign({tooltip: {trigger: "axis"}, grid: {left: 60, right: 20, top: 40, bottom: 40}},
                                        option));
      }
      if (d.children.length) {
        var kids = chart("chart-children", {
          legend: {data: [t.spendingYear, t.assisted]},
          xAxis: {type: "category", data: d.children.map(function (c) { return c.name; }),
                  axisLabel: {rotate: d.children.length > 12 ? 45 : 0, interval: 0}},
          yAxis: [{type: "value", name: t.amount}, {type: "value", name: t.households}],
          series: [
            {name: t.spendingYear, type: "bar",
             data: d.children.map(function (c) { return {value: c.spending_year, url: c.url}; })},
            {name: t.assisted, type: "line", yAxisIndex: 1,
             data: d.children.map(function (c) { return {value: c.households_assisted, url: c.url}; })}
          ]
        });
        if (kids) {
          // Drill down: a click on a township (or village) opens that area's dashboard.
          kids.on("click", function (p) { if (p.data && p.data.url) { window.location.href = p.data.url; } });
          kids.getZr().on("click", function (ev) {
            var point = [ev.offsetX, ev.offsetY];
            if (!kids.containPixel("grid", point)) { return; }
            var i = kids.convertFromPixel({seriesIndex: 0}, point)[0];
            if (d.children[i]) { window.location.href = d.children[i].url; }
          });
        }
      }
      var sp = d.spending_by_month;
      chart("chart-spending", {legend: {type: "scroll"}, xAxis: {type: "category", data: sp.months}, yAxis: {type: "value"},
        series: sp.series.map(function (s) { return {name: s.label, type: "bar", stack: "s", data: s.values}; })});
      chart("chart-tiers", {legend: {}, xAxis: {type: "category", data: d.tiers.map(function (x) { return x.label; })},
        yAxis: {type: "value"},
        series: [{name: t.households, type: "bar", data: d.tiers.map(function (x) { return x.households; })},
                 {name: t.people, type: "bar", data: d.tiers.map(function (x) { return x.persons; })}]});
      // Material and service side by side by number of assistances (service has hours, not an amount).
      chart("chart-kinds", {tooltip: {trigger: "item"}, legend: {bottom: 0},
        series: [{type: "pie", radius: ["35%", "65%"], data: d.material_service.map(function (k) {
          return {name: k.label + (k.amount ? " ¥" + k.amount.toLocaleString() : ""), value: k.records};
        })}]});
      var cs = d.cases_by_month;
      chart("chart-cases", {legend: {}, xAxis: {type: "category", data: cs.months}, yAxis: {type: "value"},
        series: [{name: t.newCases, type: "line", data: cs["new"]}, {name: t.leaving, type: "line", data: cs.leaving},
                 {name: t.alerts, type: "bar", data: cs.alerts}]});
      var risks = d.risk_types.length ? d.risk_types : d.alerts_by_level;
      chart("chart-alerts", {xAxis: {type: "category", data: risks.map(function (r) { return r.label; })},
        yAxis: {type: "value"},
        series: [{name: t.alerts, type: "bar", data: risks.map(function (r) { return r.value; })}]});
      var keys = {};
      d.index_hardship.concat(d.index_development).forEach(function (b) { keys[b.key] = true; });
      var buckets = Object.keys(keys).sort();
      function val(rows, k) {
        for (var i = 0; i < rows.length; i++) { if (rows[i].key === k) { return rows[i].value; } }
        return 0;
      }
      chart("chart-index", {legend: {}, xAxis: {type: "category", data: buckets},
        yAxis: {type: "value", name: t.households},
        series: [{name: t.hardship, type: "bar", data: buckets.map(function (k) { return val(d.index_hardship, k); })},
                 {name: t.development, type: "bar",
                  data: buckets.map(function (k) { return val(d.index_development, k); })}]});
    }
  };

  function drawAll(root) {
    if (!window.echarts) { return; }
    var nodes = [];
    if (root.matches && root.matches("[data-chart]")) { nodes.push(root); }
    root.querySelectorAll("[data-chart]").forEach(function (el) { nodes.push(el); });
    nodes.forEach(function (el) {
      var kind = kinds[el.getAttribute("data-chart")];
      if (!kind || el.getAttribute("data-chart-drawn")) { return; }
      var d = dataOf(el);
      if (d === null) { return; }
      el.setAttribute("data-chart-drawn", "1");
      kind(el, d, labelsOf(el));
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  } else {
    drawAll(document);
  }
  document.addEventListener("htmx:load", function (event) { drawAll(event.target || document); });
})();

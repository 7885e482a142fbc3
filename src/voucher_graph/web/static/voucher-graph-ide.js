// The GraphiQL page of voucher-graph: a token pasted once, example queries per role,
// and nothing kept in localStorage unless the user asks for it.
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("vg-config").textContent);
  var TOKEN_KEY = "voucher-graph:token";
  var endpoint = window.location.pathname;

  // One tab per role; the operation name is the tab's title.
  var EXAMPLES = [
    "# Who am I? Paste a token above first (serve --demo prints one per role).\n" +
      "query Me {\n  me { id name role providerId organizerId }\n}\n",
    "# A provider's RECORDER: its customers with everything nested.\n" +
      "query RecorderCustomers {\n" +
      "  customers(first: 10) {\n" +
      "    totalCount\n" +
      "    pageInfo { hasNextPage endCursor }\n" +
      "    edges { node {\n" +
      "      id firstName lastName ssn customerNumber\n" +
      "      purchasingPowers { voucherNumber validTo contents { content { name unit } grantedUnits usedUnits } }\n" +
      "      balancePurchasingPowers { voucherNumber grantedAmount balance }\n" +
      "      reservations { id validFrom validTo content { name } }\n" +
      "      events { id serviceDate units unitPrice price voucherShare copay status editable deletable }\n" +
      "    } }\n" +
      "  }\n}\n",
    "# A REPORTER is pseudonymous: no names, no hetu, no search by them.\n" +
      "query ReporterEvents {\n" +
      "  customers(first: 50) { edges { node { id customerNumber events { serviceDate price copay status } } } }\n}\n",
    "# Organizer STAFF (through their service teams): search by name words or hetu.\n" +
      "query StaffSearch($name: String = \"an\") {\n" +
      "  customers(name: $name, first: 10) {\n" +
      "    totalCount\n" +
      "    edges { node { id firstName lastName purchasingPowers { voucherNumber } } }\n" +
      "  }\n}\n",
    "# Organizer ADMIN: events under review, and who can see a customer.\n" +
      "query AdminReview {\n" +
      "  customers(first: 20) { edges { node { id lastName events(status: [UNDER_REVIEW]) { id serviceDate units } } } }\n" +
      "}\n",
  ];

  function storedToken() {
    return window.sessionStorage.getItem(TOKEN_KEY) || window.localStorage.getItem(TOKEN_KEY) || "";
  }

  function makeFetcher(token) {
    return function fetcher(params, options) {
      var headers = {
        "Content-Type": "application/json",
        Accept: "application/graphql-response+json, application/json",
      };
      if (token) headers.Authorization = "Bearer " + token;
      // The headers pane may still override (another token, say).
      var extra = (options && options.headers) || {};
      Object.keys(extra).forEach(function (key) { headers[key] = extra[key]; });
      return window
        .fetch(endpoint, { method: "POST", headers: headers, body: JSON.stringify(params) })
        .then(function (response) {
          return response.json().catch(function () {
            return { errors: [{ message: "HTTP " + response.status + " without a JSON body" }] };
          });
        });
    };
  }

  var tokenInput = document.getElementById("vg-token");
  var remember = document.getElementById("vg-remember");
  var status = document.getElementById("vg-status");
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  if (config.trustedDocuments) document.getElementById("vg-trusted").hidden = false;

  var generation = 0;

  function render(token) {
    status.textContent = token ? "token in use" : "no token: every query answers 401";
    root.render(
      React.createElement(GraphiQL, {
        // A new fetcher per token, so that GraphiQL fetches the schema again.
        key: "generation-" + ++generation,
        fetcher: makeFetcher(token),
        defaultTabs: EXAMPLES.map(function (query) { return { query: query }; }),
        defaultEditorToolsVisibility: true,
        // Queries, variables and history may carry a hetu: keep them to this tab.
        storage: window.sessionStorage,
        shouldPersistHeaders: false,
        // Under trusted documents the schema cannot be introspected either.
        schema: config.trustedDocuments ? null : undefined,
      })
    );
  }

  tokenInput.value = storedToken();
  remember.checked = Boolean(window.localStorage.getItem(TOKEN_KEY));
  document.getElementById("vg-token-bar").addEventListener("submit", function (event) {
    event.preventDefault();
    var token = tokenInput.value.trim().replace(/^Bearer\s+/i, "");
    window.sessionStorage.setItem(TOKEN_KEY, token);
    if (remember.checked) window.localStorage.setItem(TOKEN_KEY, token);
    else window.localStorage.removeItem(TOKEN_KEY);
    render(token);
  });
  document.getElementById("vg-forget").addEventListener("click", function () {
    window.sessionStorage.removeItem(TOKEN_KEY);
    window.localStorage.removeItem(TOKEN_KEY);
    tokenInput.value = "";
    remember.checked = false;
    render("");
  });
  render(storedToken());
})();

// Emulator stand-in for Amazon Pay's checkout.js: amazon.Pay.renderButton, initCheckout,
// bindChangeAction and signout, talking to the emulator's hosted pages at BASE.
(function () {
  var BASE = "__BASE__";
  function post(config, productType) {
    var form = document.createElement("form");
    form.method = "POST";
    form.action = BASE + "/hosted/button";
    var fields = {
      payloadJSON: config.payloadJSON,
      signature: config.signature,
      publicKeyId: config.publicKeyId,
      algorithm: config.algorithm || "AMZN-PAY-RSASSA-PSS",
      productType: productType || "PayAndShip"
    };
    Object.keys(fields).forEach(function (name) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      input.value = fields[name] == null ? "" : fields[name];
      form.appendChild(input);
    });
    document.body.appendChild(form);
    form.submit();
  }
  window.amazon = window.amazon || {};
  window.amazon.Pay = {
    renderButton: function (selector, options) {
      var host = document.querySelector(selector);
      var button = document.createElement("button");
      button.type = "button";
      button.setAttribute("data-testid", "amazon-pay-button");
      button.textContent = "Amazon Pay";
      button.style.cssText = "background:#ffd814;border:1px solid #fcd200;border-radius:8px;padding:10px 32px;font-weight:bold;cursor:pointer";
      button.addEventListener("click", function () {
        var signIn = options.productType === "SignIn";
        post(signIn ? options.signInConfig : options.createCheckoutSessionConfig, options.productType);
      });
      host.appendChild(button);
      return {
        onClick: function (handler) { button.addEventListener("click", handler); },
        initCheckout: function (o) { post(o.createCheckoutSessionConfig, options.productType); }
      };
    },
    initCheckout: function (options) {
      post(options.createCheckoutSessionConfig, options.productType);
    },
    bindChangeAction: function (selector, options) {
      document.querySelector(selector).addEventListener("click", function (event) {
        event.preventDefault();
        window.location.href = BASE + "/hosted/checkout-sessions/" + encodeURIComponent(options.amazonCheckoutSessionId) +
          "?changeAction=" + encodeURIComponent(options.changeAction);
      });
    },
    signout: function () {
      if (window.fetch) { fetch(BASE + "/hosted/signout", { credentials: "include" }); }
    }
  };
})();

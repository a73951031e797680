console.log("static-first app");

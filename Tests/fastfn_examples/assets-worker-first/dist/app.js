console.log("worker-first app");

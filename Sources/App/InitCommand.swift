import ActorRuntime
import ArgumentParser
import Glibc

/// `apus init NAME --lang LANG`: a working function to start from, in a folder of its own in the
/// functions directory (its `handler.*` file names the folder's route, `/NAME`).
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a function: DIR/NAME/handler.<ext>, served at /NAME."
    )

    enum Language: String, ExpressibleByArgument, CaseIterable {
        case python, node, php, go, rust
    }

    @Argument(help: "The function's name (its folder and route).")
    var name: String

    @Option(help: "Its language: python, node, php, go or rust.")
    var lang: Language = .python

    @Option(help: "The functions directory.")
    var dir = "functions"

    func validate() throws {
        guard !name.isEmpty, name.utf8.allSatisfy({ ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 || $0 == 95 }) else {
            throw ValidationError("the name may hold only lower-case letters, digits, - and _")
        }
    }

    func run() throws {
        let folder = dir + "/" + name
        let (file, text) = template
        let path = folder + "/" + file
        guard access(path, F_OK) != 0 else {
            Console.error("error: \(path) already exists")
            Console.terminate(1)
        }
        for step in [dir, folder] where !SystemFiles.isDirectory(step) {
            guard mkdir(step, 0o755) == 0 else {
                Console.error("error: cannot create \(step): \(String(cString: strerror(errno)))")
                Console.terminate(1)
            }
        }
        guard let handle = fopen(path, "w"), fputs(text, handle) >= 0, fclose(handle) == 0 else {
            Console.error("error: cannot write \(path): \(String(cString: strerror(errno)))")
            Console.terminate(1)
        }
        print("created \(path): GET /\(name)\ntry it: apus dev \(dir), then curl 'http://127.0.0.1:8000/\(name)?name=you'")
    }

    private var template: (file: String, text: String) {
        switch lang {
        case .python:
            ("handler.py", """
            def handler(event):
                name = event["query"].get("name", "world")
                return {"hello": name}

            """)
        case .node:
            ("handler.js", """
            exports.handler = async (event) => ({ hello: event.query.name || 'world' });

            """)
        case .php:
            ("handler.php", """
            <?php
            function handler(array $event): array {
                return ['hello' => $event['query']['name'] ?? 'world'];
            }

            """)
        case .go:
            ("handler.go", """
            package main

            func handler(event map[string]interface{}) interface{} {
            \tquery, _ := event["query"].(map[string]interface{})
            \tname, ok := query["name"].(string)
            \tif !ok {
            \t\tname = "world"
            \t}
            \treturn map[string]interface{}{"hello": name}
            }

            """)
        case .rust:
            ("handler.rs", """
            use serde_json::{json, Value};

            pub fn handler(event: Value) -> Value {
                let name = event["query"]["name"].as_str().unwrap_or("world");
                json!({"hello": name})
            }

            """)
        }
    }
}

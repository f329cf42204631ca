import { render } from "preact";

render(<p>raftkv console</p>, document.getElementById("app") ?? document.body);

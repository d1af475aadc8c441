function greet(name) {
    // CRLF line endings, and a tab:	end
    const msg = `Hello, ${name}! 👋`;
    if (name === "") {
        return null;
    }

    return msg.repeat(2) + 1234567890;
}
module.exports = { greet };

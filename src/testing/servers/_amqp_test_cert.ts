/**
 * A self-signed test certificate for the test broker's TLS listener
 * (`amqp_broker.ts` with `tls: true`) and the local Cosmos server
 * (`local_cosmos.ts`, whose agents pin it as their only CA). It is a test
 * fixture, not a secret:
 * CN=localhost, SAN DNS:localhost and IP:127.0.0.1, RSA 2048, valid for 100 years.
 * Generated with OpenSSL 3.0:
 *
 * ```sh
 * openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 36500 \
 *   -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1"
 * ```
 *
 * It lives in a module (not .pem files) so that the compiled tests under
 * npm/tests/ find it on Node and Bun without copying assets. AMQP clients
 * trust it with `NODE_TLS_REJECT_UNAUTHORIZED=0` (the only way that works for
 * them on Deno); an `https.Agent({ ca })` trusts it on all three runtimes.
 *
 * @module
 */

/** The certificate, PEM. */
export const TEST_CERT_PEM: string = `-----BEGIN CERTIFICATE-----
MIIDJzCCAg+gAwIBAgIUH4yjV8f/FyYnRZWwuPvydLmzTE0wDQYJKoZIhvcNAQEL
BQAwFDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyNTEyMzgzNloYDzIxMjYx
MTAxMTIzODM2WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwggEiMA0GCSqGSIb3DQEB
AQUAA4IBDwAwggEKAoIBAQDDyvYtuzuLrszoLfbTwjVx+mf184YDwOVgf7wFFiOg
GwYDV5piUdDzCOnIxX+0MAwA4YPaOR/n7j/O/E52/o3+h5zRRVr/+yz5HzfrU6gV
WnY6PqHA74oVtyzDHCGZYPI0I+iuWlCja/f888X0KriHw90dC8HHwSzYqJszlYjB
v4dee37UekyLNlqwVYZbg2EpQBNb9M6+uQbMJksQwM/c425jiaJ4S84efFIkOfEc
qCu4HBs8SGP0cUvleuFuD/qUyFT8mKnU/3wDuajXHIrqALQiONwN7aqxdVYqq6Dx
RMGV231+y2PFqmaryqPqg+WtCjVt+ex1OCxNN2rs8uiVAgMBAAGjbzBtMB0GA1Ud
DgQWBBTt9tcp8utBdw9lsrP/iu7ZZs7HIDAfBgNVHSMEGDAWgBTt9tcp8utBdw9l
srP/iu7ZZs7HIDAPBgNVHRMBAf8EBTADAQH/MBoGA1UdEQQTMBGCCWxvY2FsaG9z
dIcEfwAAATANBgkqhkiG9w0BAQsFAAOCAQEAWwHPtqaV8i1DEnh/Zp22H8imdjjf
8mzNc/VrQbjQ4UMKbd7OvuXOmzqLoHBAzco79GbzYGgpjvkZGWlzzoYja90/bP6H
lk8LH4k3PgGs8uZF+J0VJtaPUKSUkqX1WFM4CtugpRgGFGkssAqyFPi7vfysnS1+
t8X0hnYE5q/Fgj119CE0qWoJZuZtYpeu85ySQz3Zq+6nUFET7KMjslFhHVcyINjs
oxSEoiurneJ2VCq6ogdWGH/fAfi34OH88qISL5NV+k0P04QmQKROmBnpwITkCk/y
QysH+uxeqC6av/QwWcUiRu+wG9SoWnXOa02y104vvovOWD5uxjan1fhaXQ==
-----END CERTIFICATE-----\n`;

/** Its private key, PEM (a test fixture). */
export const TEST_KEY_PEM: string = `-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDDyvYtuzuLrszo
LfbTwjVx+mf184YDwOVgf7wFFiOgGwYDV5piUdDzCOnIxX+0MAwA4YPaOR/n7j/O
/E52/o3+h5zRRVr/+yz5HzfrU6gVWnY6PqHA74oVtyzDHCGZYPI0I+iuWlCja/f8
88X0KriHw90dC8HHwSzYqJszlYjBv4dee37UekyLNlqwVYZbg2EpQBNb9M6+uQbM
JksQwM/c425jiaJ4S84efFIkOfEcqCu4HBs8SGP0cUvleuFuD/qUyFT8mKnU/3wD
uajXHIrqALQiONwN7aqxdVYqq6DxRMGV231+y2PFqmaryqPqg+WtCjVt+ex1OCxN
N2rs8uiVAgMBAAECggEAGd8C/gJ4SQoJNeHC9HK8VKn5nDh4PB08Qe7G9aYaAYEo
n37vHbBBa6fBGoAsUm8p2uDxpv923ZLv+AYDSTp0IU6ilE11i48RP37WSQBmHKI2
LpaRkZilVp68abCZKPb0MhsPlyBEeP+ehlxgyxVtCjWBjWG9EovORPesgFmxNyaA
Qs6EwHp3zehLjZY3MNNt/lhyuOnTJo31d/DbXLWKKrifVHW9FB3CXdUTXoR3CWak
kTEU5I65ZFD2cce4g+SIghKPU4IkIohprdyY6uK7kAAFJEeHCFfSKJHMYzwzN4SP
bzKnQ6NoQzE4yvbMsU72/4GCEnWGxtmLFa2fQRzH4QKBgQDoyyoIEMKuBxrIxd0j
beb8RFhOUfETxPhHp5kykN2kH6GB9B0KRdzdx2PNZ2Mu5JsSegVVR2847xbt+dRm
Z0fUDLFsxJ03c3RBaVguyIdovV5HOUmGNf2PhO2NLhm8s0ui6CFELQJvNKpye1Hf
SjeSwBP9xgd6AEzDzn0gie54oQKBgQDXT4vcrgbpOv2LIoi9pyOI9YklnXQ0Z8Hp
5l16IFS47WXtu8nRO+A2t6Wr3h+Pnryu8Tkk4EbtEoq+r0l/yj6lQtDxsPkorXzE
TWhkuJboo8RhchzUWcsnThWpfLvMFVyH8uhODHMSt311wwAv7QOwM8Fdk+aspz1P
0aaJqE1ndQKBgB1i8CZef0Tarr3jhFvhlsQHmKIiY+1b8v+Qn50rfl8mgwvVlgji
8tOoROf8AiA8SXsWni+6ucaVH+7gl7hplz6kb41McJA8adOMCc62D6ngJdOV3rsr
e5uvaxFkXWldtNGWvgROLj19h3q2KIqoYsWKq7tgUTdMbGRXX6JI5yqhAoGAdHSC
6nZ6KHYOos2n9iRLtQ1RA7ZZHusr2A4QazjHekp1AhO7Ad+H0zCbfA0lNvIdjeXN
CaQA2MNZpe97KpJCNfKgvskAyr6jKC3SFAA/J09ErYwiCb0Tg4vZbZWYobbAGIwK
mARlzS7Pvf0dwc5JW2ly4eFYN/Qw1lZH5FbSnu0CgYEAizipdkJtsMuRx5RYx8nD
baDywWkUepioHnjdeMdfX8G6lrksvg8UYIygmlL7U1JwwTodUQ21QUEBkKWlfUaG
EZz7AQsCLFvf8HAJTm+rot3pEnOFUH6EhQicl63bnuO0Qo11CMZS3GsZpYhMW5Gv
3U7g6C0fHNiDhes+8UuR+LM=
-----END PRIVATE KEY-----\n`;

from flask import Blueprint, Flask, redirect, render_template, request, session
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

app = Flask(__name__)
app.secret_key = "from-env-in-production"
admin = Blueprint("admin", __name__)


@app.route("/transfer", methods=["GET", "POST"])
# ruleid: flask-csrf-protection-missing
def transfer():
    if request.method == "POST":
        amount = request.form["amount"]
        to = request.form.get("to")
        session["last_transfer"] = (to, amount)
        return redirect("/done")
    return render_template("transfer.html")


@admin.post("/users/delete")
@login_required
# ruleid: flask-csrf-protection-missing
def delete_user():
    user_id = request.values.get("id")
    return redirect("/admin/users?deleted=" + str(user_id))


@app.route("/email", methods=["POST"])
# ruleid: flask-csrf-protection-missing
def change_email():
    current_user.email = request.form["email"]
    return redirect("/profile")


@app.route("/search", methods=["GET"])
# ok: flask-csrf-protection-missing
def search():
    return render_template("search.html", q=request.args.get("q"), user=session.get("user"))


@app.route("/api/items", methods=["POST"])
# ok: flask-csrf-protection-missing
def create_item():
    return {"created": request.get_json()["name"], "by": session.get("user")}


@app.route("/contact", methods=["POST"])
# ok: flask-csrf-protection-missing
def contact():
    # Anonymous form: no cookie-identified user to act for.
    return render_template("thanks.html", name=request.form["name"])


class ProfileForm(FlaskForm):
    pass


@app.route("/profile", methods=["POST"])
# ok: flask-csrf-protection-missing
def profile():
    form = ProfileForm()
    if form.validate_on_submit():
        session["nickname"] = request.form["nickname"]
    return redirect("/profile")
